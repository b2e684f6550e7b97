// `npm run bench`: every benchmark, one after another, figures on stdout.
import { benchAnalytics } from './analytics.ts';
import { benchCerts } from './certs.ts';
import { benchEngine } from './engine.ts';
import { benchHandoff } from './handoff.ts';
import { benchSlack } from './slack.ts';
import { benchStore } from './store.ts';
import { benchTeams } from './teams.ts';
import { benchWebchat } from './webchat.ts';

const only = process.argv[2];
if (!only || only === 'engine') await benchEngine();
if (!only || only === 'certs') await benchCerts();
if (!only || only === 'store') await benchStore();
if (!only || only === 'webchat') await benchWebchat();
if (!only || only === 'slack') await benchSlack();
if (!only || only === 'teams') await benchTeams();
if (!only || only === 'handoff') await benchHandoff();
if (!only || only === 'analytics') await benchAnalytics();
