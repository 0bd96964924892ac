/**
 * The emulators' own pino loggers (silent unless SANDBOX_LOG_LEVEL says otherwise). Like core's
 * logger (core/src/log), every line has the values of `oauth_*` and `consumer_*` query
 * parameters redacted: WooCommerce clients put the consumer key and the OAuth signature in the
 * query string, and a URL can reach a log line through any field or error message. (The sandbox
 * does not import core, so the few lines are here too.)
 */
import { pino, type Logger } from "pino";

const URL_SECRET =
  /(?<=^|[^a-z0-9_]|%3F|%26)((?:oauth|consumer)_[a-z0-9_]*)(=|%3D)(?:[^&#\s"'\\%]|%(?!26)[0-9a-f]{2})*/giu;

/** Text (a URL, a log line) without the values of its `oauth_*` and `consumer_*` parameters. */
export function redactUrlSecrets(text: string): string {
  if (!/oauth_|consumer_/iu.test(text)) return text;
  return text.replace(URL_SECRET, "$1$2[redacted]");
}

export function emulatorLogger(name: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name,
      level: process.env["SANDBOX_LOG_LEVEL"] ?? "silent",
      hooks: { streamWrite: redactUrlSecrets },
    },
    ...(destination ? [destination] : []),
  );
}
