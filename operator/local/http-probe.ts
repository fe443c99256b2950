/**
 * A tiny HTTP(S) GET for health probes. It uses node:https directly because the probes
 * need per-request TLS settings: the API server's own CA, or no verification at all for
 * the controller-manager's and scheduler's throwaway self-signed serving certificates.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface ProbeOptions {
  readonly ca?: string;
  readonly insecure?: boolean;
  readonly token?: string;
  readonly timeoutMs?: number;
}

export interface ProbeResponse {
  readonly status: number;
  readonly body: string;
}

export function httpGet(url: string, options: ProbeOptions = {}): Promise<ProbeResponse> {
  const target = new URL(url);
  const request = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: "GET",
        timeout: options.timeoutMs ?? 2000,
        headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        rejectUnauthorized: options.insecure !== true,
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}
