// The experts page's entry: the page itself is src/view/experts/page.ts.
import { mountExpertsPage } from '../../src/view/experts/page.ts';

mountExpertsPage();
