/** A Lambda function error as Step Functions and the SDK see it: the handler's error type as the name. */
export class FunctionError extends Error {
  constructor(
    name: string,
    message: string,
    readonly functionName: string,
  ) {
    super(message);
    this.name = name;
  }
}
