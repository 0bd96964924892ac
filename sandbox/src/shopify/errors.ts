/** An error the control API reports as `{error:{code,message}}` with the given HTTP status. */
export class ControlError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = "ControlError";
  }
}
