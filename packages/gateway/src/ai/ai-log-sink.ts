/** One prompt message as logged: role and its text (redacted, cut to the policy's budget). */
export interface AILogMessage {
  readonly role: string;
  readonly text: string;
}

/**
 * The structured line an `aiLogging` policy writes for one AI request. `prompt` and
 * `completion` are present only when the policy asks for them; every text is redacted first.
 * It never holds a credential (the pass-through key included) or a request header.
 */
export interface AILogLine {
  readonly requestId: string;
  readonly route: string;
  /** The model name the client asked for. */
  readonly model: string;
  /** The target that answered (or the last tried); null when none was tried. */
  readonly target: string | null;
  readonly provider: string | null;
  /** Consumer id, null when anonymous. */
  readonly consumer: string | null;
  readonly status: number;
  readonly stream: boolean;
  /** Ids of the policies whose `aiLogging` applied, sorted. */
  readonly policies: readonly string[];
  readonly prompt?: readonly AILogMessage[];
  readonly completion?: string;
  /** True when some text was cut to `maxChars` (or messages left out past the budget). */
  readonly truncated: boolean;
}

/**
 * Where prompt/completion log lines go. The program writes them with pino at `info`, component
 * `ai-log`; tests collect them. Called after the response ended; must not throw.
 */
export interface AILogSink {
  write(line: AILogLine): void;
}
