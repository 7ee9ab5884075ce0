// Runs in every GPU test file: a hook at file level, after all of the file's describe blocks.
import { afterAll } from 'vitest';
import { destroyTestContext } from './context.ts';

afterAll(destroyTestContext);
