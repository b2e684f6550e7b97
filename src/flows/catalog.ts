/** The catalog: every flow the engine can run, with its version, country and the state mapping for older saved versions. */
import type { AnyStateMachine } from 'xstate';
import type { Country } from '../certs/report.ts';
import type { FlowId, Key } from './step.ts';
import * as triage from './triage.ts';
import * as wrapUp from './wrap-up.ts';
import * as siiCentralize from './sii-centralize-certificate.ts';
import * as siiLogin from './sii-enable-certificate-login.ts';
import * as atvRevoke from './atv-revoke-key.ts';
import * as atvGenerate from './atv-generate-key.ts';
import * as verifyCertificate from './verify-certificate.ts';

export interface FlowDefinition {
  id: FlowId;
  version: number;
  machine: AnyStateMachine;
  country?: Country;
  /** Name of the procedure as customers and managers read it. */
  title: Key;
  /**
   * How conversations saved under an older version resume: for each old version, old state
   * path → state path in the next version. Paths absent here resume at their nearest
   * surviving ancestor, else at the flow's first step.
   */
  migrations?: Readonly<Record<number, Readonly<Record<string, string>>>>;
}

interface FlowModule {
  version: number;
  machine: AnyStateMachine;
  migrations?: FlowDefinition['migrations'];
}

const define = (id: FlowId, mod: FlowModule, title: Key, country?: Country): FlowDefinition => ({
  id,
  version: mod.version,
  machine: mod.machine,
  migrations: mod.migrations,
  title,
  country,
});

export const FLOWS: Readonly<Record<FlowId, FlowDefinition>> = {
  triage: define('triage', triage, 'triage:title'),
  'wrap-up': define('wrap-up', wrapUp, 'common:wrapUp.title'),
  'sii.centralize-certificate': define('sii.centralize-certificate', siiCentralize, 'triage:procedure.sii-centralize', 'CL'),
  'sii.enable-certificate-login': define('sii.enable-certificate-login', siiLogin, 'triage:procedure.sii-login', 'CL'),
  'atv.revoke-key': define('atv.revoke-key', atvRevoke, 'triage:procedure.atv-revoke', 'CR'),
  'atv.generate-key': define('atv.generate-key', atvGenerate, 'triage:procedure.atv-generate', 'CR'),
  'verify-certificate': define('verify-certificate', verifyCertificate, 'verify:title'),
};

/** The four customer procedures (not triage or wrap-up). */
export const PROCEDURE_IDS = [
  'sii.centralize-certificate',
  'sii.enable-certificate-login',
  'atv.revoke-key',
  'atv.generate-key',
] as const satisfies readonly FlowId[];

export const isFlowId = (id: string): id is FlowId => Object.hasOwn(FLOWS, id);
