/**
 * The examples in examples/ work as their comments say, applied with the built CLI through the inventory the
 * sandbox writes (tcp+TLS, Consul): replicated's placement by host labels, volume-secret's secret and volume,
 * build's images built on the hosts and run by digest.
 * (web-db, on an engine overlay, is in examples-overlay.test.ts; the same checks on Engine 28 in examples-vx.test.ts;
 * the checks themselves in examples-cases.ts.)
 */
import test from 'ava';
import { ensureBuilt } from './cli-helpers.js';
import { BUILD, build, REPLICATED, replicated, VOLUME_SECRET, volumeSecret } from './examples-cases.js';

test.before(() => ensureBuilt());

test(REPLICATED, replicated);
test(VOLUME_SECRET, volumeSecret);
test(BUILD, build);
