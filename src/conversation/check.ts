/**
 * The certificate check at a PIN step: the held file and the PIN go to the check (asked of the
 * edge as a `Need`, run there once per message), the report to the customer, a summary to the
 * flow as `verified`. Five wrong PINs in fifteen minutes lock it; a final outcome clears the file
 * (an effect, run only after the commit).
 */
import type { CertReport } from '../certs/report.ts';
import { MASK } from './redact.ts';
import { sendToFlow } from './procedure.ts';
import type { Turn } from './turn.ts';

const SECRET_ATTEMPTS = 5;
const SECRET_WINDOW_MS = 15 * 60_000;

export function secret(t: Turn, value: string, typedInClear: boolean): void {
  const cur = t.step;
  if (!cur) return;
  if (cur.step.expects !== 'secret') {
    // Never echoed, never kept: just say this step does not need it.
    t.say('common:input.unexpected-secret');
    return t.prompt();
  }
  if (typedInClear) t.say('common:secret.typed-in-clear');
  if (cur.step.effect !== 'verify-certificate' || !t.cfg.canVerify) {
    sendToFlow(t, { type: 'text', text: MASK });
    return;
  }
  const held = t.input.held;
  if (!held) {
    t.say('common:file.lost');
    sendToFlow(t, { type: 'file-lost' });
    return;
  }
  // The count lives in the conversation, not the flow, so "back" or starting the check again does not reset it.
  const recent = t.state.secretFailures.filter((at) => t.now - at < SECRET_WINDOW_MS);
  if (recent.length >= SECRET_ATTEMPTS) {
    sendToFlow(t, { type: 'secret-locked' });
    return;
  }
  const report = t.input.report;
  if (!report) {
    const ask = cur.step.verifyWith?.(t.snap.context) ?? {};
    const country = ask.country ?? t.state.country;
    return t.need({
      type: 'verify',
      file: held,
      secret: value,
      options: { ...ask, ...(country ? { country } : {}), fileName: held.name, now: new Date(t.now) },
    });
  }
  tell(t, report, recent);
}

/** The report came back: count a wrong PIN, keep the verdict for agents, and tell the flow. */
function tell(t: Turn, checked: CertReport, recent: number[]): void {
  let report = checked;
  const failed = report.checks.filter((c) => c.status === 'fail');
  const warned = report.checks.filter((c) => c.status === 'warn');
  let attemptsLeft: number | undefined;
  if (failed.some((c) => c.id === 'secret.correct')) {
    const failures = [...recent, t.now];
    const left = Math.max(0, SECRET_ATTEMPTS - failures.length);
    attemptsLeft = left;
    t.update({ secretFailures: failures });
    report = { ...report, checks: report.checks.map((c) => (c.id === 'secret.correct' ? { ...c, params: { ...c.params, attemptsLeft: left } } : c)) };
  }
  // A wrong PIN keeps the file for the next try (until the lock); any other outcome is final for it.
  if (attemptsLeft === undefined || attemptsLeft === 0) t.effects.push({ type: 'hold.clear' });
  const failedIds = failed.map((c) => c.id);
  t.emit('verification.result', { data: { verdict: report.verdict, failed: failedIds } });
  t.update({ lastCheck: { verdict: report.verdict, failed: failedIds } });
  t.out.push({ type: 'report', report });
  if (attemptsLeft === 0) {
    sendToFlow(t, { type: 'secret-locked' });
    return;
  }
  sendToFlow(t, {
    type: 'verified',
    verdict: report.verdict,
    failed: failedIds,
    warned: warned.map((c) => c.id),
    codes: failed.map((c) => c.code),
    ...(report.holder?.id ? { holderId: report.holder.id } : {}),
    ...(attemptsLeft !== undefined ? { attemptsLeft } : {}),
    at: t.now,
  });
}
