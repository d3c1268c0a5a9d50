/**
 * Assembles, without a container engine, exactly the files deploy/Dockerfile puts into the
 * runtime image: it reads the Dockerfile's stages and the runtime stage's COPY lines, applies
 * deploy/Dockerfile.dockerignore to the build context, installs the production dependency closure
 * from package-lock.json (what `npm ci --omit=dev` installs) and runs the web stage's Vite build
 * from that stage's own context files. Anything it does not understand fails loudly, so the
 * Dockerfile cannot drift away from what test/image.integration.test.ts checks.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { PROJECT_ROOT } from '../../src/web/web-build.ts';

export const DOCKERFILE = join(PROJECT_ROOT, 'deploy', 'Dockerfile');
export const DOCKERIGNORE = join(PROJECT_ROOT, 'deploy', 'Dockerfile.dockerignore');
/** The runtime stage's WORKDIR; `--from=<stage> /app/<path>` sources are read relative to it. */
const APP = '/app';

export type Instruction = { op: string; args: string };
export type Stage = { name: string; instructions: Instruction[] };

/** Instructions per stage (line continuations joined, comments dropped). */
export function parseDockerfile(text = readFileSync(DOCKERFILE, 'utf8')): Stage[] {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = op.toUpperCase();
    if (upper === 'FROM') {
      stages.push({ name: /\sAS\s+(\S+)$/i.exec(args)?.[1] ?? String(stages.length), instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]?.instructions.push({ op: upper, args });
    }
  }
  return stages;
}

/** `KEY=value` pairs of a stage's ENV instructions (the `ENV a=b c=d` form). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions.filter((x) => x.op === 'ENV')) {
    for (const m of i.args.matchAll(/(\w+)=("[^"]*"|\S+)/g))
      env[m[1] as string] = (m[2] as string).replace(/^"|"$/g, '');
  }
  return env;
}

/** `key="value"` pairs of a stage's LABEL instructions. */
export function stageLabels(stage: Stage): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const i of stage.instructions.filter((x) => x.op === 'LABEL')) {
    for (const m of i.args.matchAll(/([\w.-]+)=("[^"]*"|\S+)/g)) {
      labels[m[1] as string] = (m[2] as string).replace(/^"|"$/g, '');
    }
  }
  return labels;
}

/** Docker's .dockerignore rules: the last matching pattern wins, `!` re-includes, a directory match covers its contents. */
export function dockerignore(text = readFileSync(DOCKERIGNORE, 'utf8')): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const include = l.startsWith('!');
      const pattern = posix.normalize((include ? l.slice(1) : l).replace(/\/+$/, ''));
      const source = pattern
        .split('/')
        .map((part) =>
          part === '**'
            ? '(?:.*)'
            : part
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\(\?:\.\*\)\//g, '(?:.*/)?');
      return { include, re: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (path) => {
    let ignored = false;
    for (const r of rules) if (r.re.test(path)) ignored = !r.include;
    return ignored;
  };
}

/** Copies a context path to `dest`, leaving out what the ignore file excludes. */
function copyFromContext(source: string, dest: string, ignored: (path: string) => boolean): void {
  const from = join(PROJECT_ROOT, source);
  if (ignored(source) && !statSync(from).isDirectory()) throw new Error(`COPY ${source}: excluded by the dockerignore`);
  cpSync(from, dest, {
    recursive: true,
    filter: (path) => {
      const rel = relative(PROJECT_ROOT, path).split('\\').join('/');
      return rel === '' || !ignored(rel) || statSync(path).isDirectory();
    },
  });
}

/**
 * The production closure of package-lock.json, hard-linked from the installed node_modules (same
 * content, no copy of ~400 MB; nothing may write there, which the test checks). Top-level
 * packages not marked `dev` are what `npm ci --omit=dev` installs; nested ones come with them.
 */
function installProductionDependencies(dest: string): { packages: number } {
  const lock = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; optional?: boolean }>;
  };
  let packages = 0;
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!/^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) || entry.dev) continue;
    const installed = join(PROJECT_ROOT, path);
    if (!existsSync(installed)) {
      if (entry.optional) continue; // another platform's optional binary
      throw new Error(`${path} is a production dependency but is not installed; run npm ci`);
    }
    const target = join(dest, path.slice('node_modules/'.length));
    mkdirSync(dirname(target), { recursive: true });
    execFileSync('cp', ['-al', installed, target]);
    packages++;
  }
  return { packages };
}

async function buildWebStage(stage: Stage, workDir: string, outDir: string, ignored: (p: string) => boolean) {
  const runs = stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
  if (!runs.some((r) => /\bnpm ci\b/.test(r) && !/--omit=dev/.test(r))) {
    throw new Error(`stage ${stage.name} builds the web app without its build dependencies (npm ci)`);
  }
  if (!runs.some((r) => /\bvite build\b/.test(r))) throw new Error(`stage ${stage.name} runs no vite build`);
  // The stage's own context files, plus every dependency (its `npm ci`).
  for (const i of stage.instructions.filter((x) => x.op === 'COPY')) {
    const parts = i.args.split(/\s+/);
    if (parts[0]?.startsWith('--')) throw new Error(`unsupported COPY in stage ${stage.name}: ${i.args}`);
    const destArg = parts.pop() as string;
    for (const source of parts) {
      const dest = destArg.endsWith('/')
        ? join(workDir, destArg, source.split('/').pop() as string)
        : join(workDir, destArg);
      copyFromContext(source, dest, ignored);
    }
  }
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(workDir, 'node_modules'));
  const { build } = await import('vite');
  await build({
    configFile: join(workDir, 'vite.config.ts'),
    root: join(workDir, 'web'),
    build: { outDir, emptyOutDir: true },
    logLevel: 'silent',
  });
}

export type AssembledImage = {
  root: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  user: string;
};

/** Builds the runtime stage's file tree in `root` (`work` holds the other stages' scratch files). */
export async function assembleImage(root: string, work: string): Promise<AssembledImage> {
  const stages = parseDockerfile();
  const runtime = stages[stages.length - 1] as Stage;
  const ignored = dockerignore();
  for (const i of runtime.instructions.filter((x) => x.op === 'COPY')) {
    const from = /^--from=(\S+)\s+/.exec(i.args);
    const rest = (from ? i.args.slice(from[0].length) : i.args).split(/\s+/);
    if (rest.some((p) => p.startsWith('--'))) throw new Error(`unsupported COPY flag: ${i.args}`);
    const destArg = rest.pop() as string;
    if (from) {
      const stage = stages.find((s) => s.name === from[1]);
      if (!stage || rest.length !== 1) throw new Error(`unsupported COPY: ${i.args}`);
      const source = posix.relative(APP, rest[0] as string);
      const dest = join(root, destArg);
      if (
        source === 'node_modules' &&
        stage.instructions.some((x) => x.op === 'RUN' && /npm ci .*--omit=dev/.test(x.args))
      ) {
        installProductionDependencies(dest);
      } else if (source === 'dist/web') {
        await buildWebStage(stage, join(work, stage.name), dest, ignored);
      } else {
        throw new Error(`the image test does not know how stage ${stage.name} makes ${source}: ${i.args}`);
      }
    } else {
      for (const source of rest) {
        const dest = destArg.endsWith('/')
          ? join(root, destArg, source.split('/').pop() as string)
          : join(root, destArg);
        copyFromContext(source, dest, ignored);
      }
    }
  }
  const user = runtime.instructions.filter((x) => x.op === 'USER').pop()?.args ?? 'root';
  return { root, env: stageEnv(runtime), labels: stageLabels(runtime), user };
}

/** Every file under `dir` with its size and modification time, to prove nothing was written there. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const s = statSync(path, { throwIfNoEntry: false });
        out.set(relative(dir, path), s ? `${s.size}:${s.mtimeMs}` : 'gone');
      }
    }
  };
  walk(dir);
  return out;
}
