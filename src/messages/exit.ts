// The exit codes, by name (README, "Exit codes"): what a script or cron job reads of a run.
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  refused: 3,
  provider: 4,
  waiting: 75,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
