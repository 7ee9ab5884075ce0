// The training page's entry: the page itself is src/view/training/page.ts.
import { mountTrainingPage } from '../../src/view/training/page.ts';

mountTrainingPage();
