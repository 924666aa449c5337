import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the real AWS SDK sent it. */
export interface ApiRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface IssuedCredentials {
  user: string;
  password: string;
  expiration: Date;
}

/**
 * A loopback stand-in of the two AWS APIs that issue Redshift credentials, answering what the real
 * SDK sends (with its endpoint pointed here): Redshift's query protocol (form-encoded POST,
 * `Action=GetClusterCredentials`, an XML answer) and Redshift Serverless' JSON 1.1 protocol
 * (`X-Amz-Target: RedshiftServerless.GetCredentials`, a JSON answer). Signatures are not checked;
 * every request is recorded so tests can assert the action and its parameters.
 */
export class TestAwsApiServer {
  readonly requests: ApiRequest[] = [];
  /** what the next answers issue; expiration defaults to an hour from now */
  issue: (n: number) => IssuedCredentials = (n) => ({ user: 'IAM:awsuser', password: `Tmp-Pw-${n}-q8Zr4+/x`, expiration: new Date(Date.now() + 3600_000) });
  /** answer with this AWS error instead (status, code) */
  refuse: { status: number; code: string; message: string } | undefined;
  private server: http.Server | undefined;
  endpoint = '';

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The query-protocol parameters of a recorded request. */
  static form(r: ApiRequest): Record<string, string> {
    return Object.fromEntries(new URLSearchParams(r.body));
  }

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const target = String(req.headers['x-amz-target'] ?? '');
    const json = target !== '';
    if (this.refuse) {
      const { status, code, message } = this.refuse;
      if (json)
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-ErrorType': code }).end(JSON.stringify({ __type: code, message }));
      else
        res
          .writeHead(status, { 'Content-Type': 'text/xml' })
          .end(
            `<ErrorResponse xmlns="http://redshift.amazonaws.com/doc/2012-12-01/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
          );
      return;
    }
    const c = this.issue(this.requests.length);
    if (target === 'RedshiftServerless.GetCredentials') {
      res
        .writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1' })
        .end(
          JSON.stringify({ dbUser: c.user, dbPassword: c.password, expiration: c.expiration.getTime() / 1000, nextRefreshTime: c.expiration.getTime() / 1000 }),
        );
      return;
    }
    const form = new URLSearchParams(body);
    if (form.get('Action') === 'GetClusterCredentials') {
      const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      res
        .writeHead(200, { 'Content-Type': 'text/xml' })
        .end(
          `<GetClusterCredentialsResponse xmlns="http://redshift.amazonaws.com/doc/2012-12-01/"><GetClusterCredentialsResult>` +
            `<DbUser>${xml(c.user)}</DbUser><Expiration>${c.expiration.toISOString()}</Expiration><DbPassword>${xml(c.password)}</DbPassword>` +
            `</GetClusterCredentialsResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetClusterCredentialsResponse>`,
        );
      return;
    }
    res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`unknown request ${target || form.get('Action') || req.url}`);
  }
}
