// The tensor-parallel page's entry: the page itself is src/view/tensor-parallel/page.ts.
import { mountTensorParallelPage } from '../../src/view/tensor-parallel/page.ts';

mountTensorParallelPage();
