// The KV-cache page's entry: the page itself is src/view/kv-cache/page.ts.
import { mountKvCachePage } from '../../src/view/kv-cache/page.ts';

mountKvCachePage();
