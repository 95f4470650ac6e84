// Errors as people should meet them: GOV.UK-style 404 and 500 pages, and RFC 9457 problem JSON on
// the API. Validation failures on the API are 400 with the field named; nothing internal leaks.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

export interface Problem {
  status: number;
  title: string;
  detail?: string;
  errors?: Array<{ field: string; message: string }>;
}

declare module 'fastify' {
  interface FastifyReply {
    sendProblemOrPage(problem: Problem): FastifyReply;
  }
}

/** An error a service throws to say the request cannot be done, with what to tell the person. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
  ) {
    super(title);
  }
}

export function wantsJson(request: FastifyRequest): boolean {
  if (request.url.startsWith('/api/')) return true;
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

export const errorPages = fp(
  async (app: FastifyInstance) => {
    app.decorateReply('sendProblemOrPage', function (this: FastifyReply, problem: Problem) {
      this.code(problem.status);
      if (wantsJson(this.request)) {
        return this.type('application/problem+json').send({ type: 'about:blank', ...problem });
      }
      const template =
        problem.status === 404 ? 'errors/404.njk' : problem.status >= 500 ? 'errors/500.njk' : 'errors/problem.njk';
      return this.render(template, { pageTitle: problem.title, problem });
    });

    app.setNotFoundHandler((request, reply) =>
      reply.sendProblemOrPage({
        status: 404,
        title: 'Page not found',
        detail: 'If you typed the web address, check it is correct.',
      }),
    );

    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof HttpProblem) {
        return reply.sendProblemOrPage({
          status: error.status,
          title: error.title,
          ...(error.detail ? { detail: error.detail } : {}),
        });
      }
      if (error.validation) {
        return reply.sendProblemOrPage({
          status: 400,
          title: 'The request is not valid',
          detail: error.message,
          errors: error.validation.map((v) => ({
            field: (v.instancePath || (v.params as { missingProperty?: string }).missingProperty || '').replace(
              /^\//,
              '',
            ),
            message: v.message ?? 'is not valid',
          })),
        });
      }
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status === 500) request.log.error({ err: error }, 'unhandled error');
      return reply.sendProblemOrPage({
        status,
        title: status === 500 ? 'Sorry, there is a problem with the service' : statusTitle(status),
        ...(status === 500 ? { detail: 'Try again later.' } : {}),
      });
    });
  },
  { name: 'errors', dependencies: ['render'] },
);

function statusTitle(status: number): string {
  switch (status) {
    case 400:
      return 'The request is not valid';
    case 401:
      return 'You need to sign in';
    case 403:
      return 'You do not have permission to do this';
    case 413:
      return 'What you sent is too large';
    case 415:
      return 'That type of content is not accepted';
    case 429:
      return 'Too many requests: wait a minute and try again';
    default:
      return 'The request could not be completed';
  }
}
