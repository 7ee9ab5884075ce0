// The collectives page's entry: the page itself is src/view/collectives/page.ts.
import { mountCollectivesPage } from '../../src/view/collectives/page.ts';

mountCollectivesPage();
