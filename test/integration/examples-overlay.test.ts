/**
 * examples/web-db (the README's demo) works as its comments say, applied with the built CLI through the
 * inventory the sandbox writes: web on a role=web host serves what it fetched by name from db, on the role=db
 * host, over the engine overlay. (An *overlay* file: it runs in the suite's overlay phase. The check is in
 * examples-cases.ts; examples-vx.test.ts runs it on Engine 28 over stack's own overlay.)
 */
import test from 'ava';
import { ensureBuilt } from './cli-helpers.js';
import { WEB_DB, webDb } from './examples-cases.js';

test.before(() => ensureBuilt());

test(WEB_DB, webDb);
