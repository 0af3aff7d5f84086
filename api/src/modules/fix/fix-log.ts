import { JsFixLoggerFactory, type IJsFixLogger, type JsFixLogFields } from 'jspurefix';
import type { Logger } from '../../logger.js';

const silent: IJsFixLogger = { info: () => {}, warning: () => {}, debug: () => {}, error: () => {} };

/**
 * jspurefix's logging into the platform's pino logger, labelled `component: 'fix'` and the
 * engine part (`engine`). jspurefix narrates every message at "info", so its levels move one
 * step down (info → debug, debug → trace); its errors are session ends and protocol
 * complaints about a counterparty, logged as warnings. The gateway logs its own decisions.
 */
export class PinoFixLogFactory extends JsFixLoggerFactory {
  constructor(private readonly base: Logger) {
    super();
  }

  logger(type: string, _context?: JsFixLogFields): IJsFixLogger {
    const log = this.base.child({ component: 'fix', engine: type });
    return {
      info: (message, fields) => log.debug(fields ?? {}, message),
      debug: (message, fields) => log.trace(fields ?? {}, message),
      warning: (message, fields) => log.warn(fields ?? {}, message),
      error: (err, fields) => log.warn({ ...fields, err }, err.message),
    };
  }

  /** Raw message logs (jspurefix "plain" files) are not kept: the gateway traces messages itself. */
  plain(_fileName: string, _maxSize?: number): IJsFixLogger {
    return silent;
  }
}
