/** Parses `collab-docs loadtest` options, runs it, prints the JSON result and writes the HTML report. */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { renderReport } from './report.ts';
import { DEFAULT_JOURNEYS_PER_LOGIN, type Mode, runLoadtest } from './runner.ts';

export const LOADTEST_USAGE = `Usage: collab-docs loadtest --url http://host:3000 [options]

  --mode fixed|ramp|soak       fixed load, ramp until an SLO breaks, or soak with a leak verdict (fixed)
  --journey full|login         the whole user journey, or log-ins only (full)
  --users N                    users (fixed, soak) or the first ramp level (10)
  --duration S                 seconds (fixed, soak) (60)
  --step N --step-seconds S    ramp: users added per step and step length (10, 30)
  --max-users N                ramp: stop here if nothing broke (1000)
  --think-ms MS                mean think time between steps; keystrokes use a tenth (1000)
  --keystrokes N               keystrokes per document visit (20)
  --journeys-per-login N       full journey: a user logs in again every N journeys (10; 1: every one)
  --slo-http-p95-ms MS         (200)  --slo-auth-p95-ms MS (1000)  --slo-keystroke-p95-ms MS (500)
  --slo-error-ratio R (0.01)
  --scrape-seconds S           soak: how often the server's /metrics is read (5)
  --journeys N                 each user stops after N journeys (fixed and soak end when all are done)
  --json FILE                  write the result there too (it always goes to stdout)
  --html FILE                  the HTML report (loadtest-<mode>-<time>.html)

Only run it against servers you own: it signs up users and writes documents. A server's
per-IP sign-up limit (SIGNUP_MAX_PER_IP_PER_HOUR) must allow one sign-up per virtual user.`;

export async function runLoadtestCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      mode: { type: 'string', default: 'fixed' },
      journey: { type: 'string', default: 'full' },
      users: { type: 'string', default: '10' },
      duration: { type: 'string', default: '60' },
      step: { type: 'string', default: '10' },
      'step-seconds': { type: 'string', default: '30' },
      'max-users': { type: 'string', default: '1000' },
      'think-ms': { type: 'string', default: '1000' },
      keystrokes: { type: 'string', default: '20' },
      'journeys-per-login': { type: 'string', default: String(DEFAULT_JOURNEYS_PER_LOGIN) },
      'slo-http-p95-ms': { type: 'string', default: '200' },
      'slo-auth-p95-ms': { type: 'string', default: '1000' },
      'slo-keystroke-p95-ms': { type: 'string', default: '500' },
      'slo-error-ratio': { type: 'string', default: '0.01' },
      'scrape-seconds': { type: 'string', default: '5' },
      journeys: { type: 'string' },
      json: { type: 'string' },
      html: { type: 'string' },
      role: { type: 'string' },
    },
  });
  const num = (name: keyof typeof values, min: number) => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}`);
    return n;
  };
  let opts: Parameters<typeof runLoadtest>[0];
  try {
    if (!values.url || !/^https?:\/\//.test(values.url)) throw new Error('--url http(s)://… is required');
    if (!['fixed', 'ramp', 'soak'].includes(values.mode as string)) throw new Error('--mode is fixed, ramp or soak');
    if (!['full', 'login'].includes(values.journey as string)) throw new Error('--journey is full or login');
    opts = {
      url: values.url,
      mode: values.mode as Mode,
      journey: values.journey as 'full' | 'login',
      users: num('users', 1),
      durationSeconds: num('duration', 1),
      step: num('step', 1),
      stepSeconds: num('step-seconds', 2),
      maxUsers: num('max-users', 1),
      thinkMs: num('think-ms', 0),
      keystrokes: num('keystrokes', 0),
      journeysPerLogin: num('journeys-per-login', 1),
      password: `lt-${randomUUID()}`,
      slo: {
        httpP95Ms: num('slo-http-p95-ms', 0),
        authP95Ms: num('slo-auth-p95-ms', 0),
        keystrokeP95Ms: num('slo-keystroke-p95-ms', 0),
        errorRatio: num('slo-error-ratio', 0),
      },
      scrapeSeconds: num('scrape-seconds', 1),
      journeys: values.journeys === undefined ? undefined : num('journeys', 1),
      progress: (line) => process.stderr.write(`${line}\n`),
    };
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${LOADTEST_USAGE}`);
    return 2;
  }
  const result = await runLoadtest(opts);
  const json = JSON.stringify(result, null, 2);
  console.log(json);
  if (values.json) await writeFile(values.json, json);
  const html = values.html ?? `loadtest-${opts.mode}-${result.startedAt.replace(/[:.]/g, '-')}.html`;
  await writeFile(html, renderReport(result));
  process.stderr.write(`report: ${html}\n`);
  return 0;
}
