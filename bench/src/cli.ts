// The command line of `pnpm bench`: its flags, checked against the catalog's store ids.
import { STORES } from './catalog.js';

export interface CliOptions {
  quick: boolean;
  only: string[] | undefined;
  /** Rounds instead of the mode's default (more rounds steady the per-round ratios on a busy machine). */
  rounds: number | undefined;
  docs: boolean;
  render: boolean;
  profile: string[];
  /** Only the sizing phase: bytes at rest and on the wire per store. */
  sizing: boolean;
}

/** The options in `argv`; exits with status 2 on an unknown flag or store id. */
export function parseCli(argv: string[]): CliOptions {
  const options: CliOptions = {
    quick: false,
    only: undefined,
    rounds: undefined,
    docs: false,
    render: false,
    profile: [],
    sizing: false,
  };
  for (const arg of argv) {
    if (arg === '--') continue;
    if (arg === '--quick') options.quick = true;
    else if (arg === '--docs') options.docs = true;
    else if (arg === '--render') options.render = true;
    else if (arg === '--sizing') options.sizing = true;
    else if (arg.startsWith('--only=')) options.only = arg.slice('--only='.length).split(',');
    else if (arg.startsWith('--profile=')) options.profile = arg.slice('--profile='.length).split(',');
    else if (/^--rounds=[1-9]\d*$/.test(arg)) options.rounds = Number(arg.slice('--rounds='.length));
    else {
      console.error(
        `unknown argument ${arg}\nusage: pnpm bench [--quick] [--only=id,id] [--rounds=n] [--docs] [--profile=id,id] [--render] [--sizing]\nstores: ${STORES.map((s) => s.id).join(', ')}`,
      );
      process.exit(2);
    }
  }
  for (const id of [...(options.only ?? []), ...options.profile]) {
    if (!STORES.some((store) => store.id === id)) {
      console.error(`unknown store ${id}; known: ${STORES.map((s) => s.id).join(', ')}`);
      process.exit(2);
    }
  }
  return options;
}
