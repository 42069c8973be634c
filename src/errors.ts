/**
 * Errors a user can cause (a bad spec, a missing file, a locked database).
 * The CLI prints `message` on one line and exits with `exitCode`; any other
 * error is our bug and keeps its stack.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** A command line that cannot be understood: exit code 2, like most CLIs. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
