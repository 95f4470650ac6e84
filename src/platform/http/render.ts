// reply.render(): renders a Nunjucks template with what every page needs (the CSRF token, the
// signed-in person's navigation, the layout's names and links).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type nunjucks from 'nunjucks';
import type { ViewContext } from '../views/views.ts';

declare module 'fastify' {
  interface FastifyReply {
    render(template: string, context?: ViewContext): FastifyReply;
  }
  interface FastifyRequest {
    /** Extra locals for the layout, set by hooks (e.g. the staff navigation). */
    viewLocals: ViewContext;
  }
  interface FastifyInstance {
    /** Renders a page that is the same for every visitor (nothing from the request or session). */
    renderPage(template: string, context?: ViewContext): string;
  }
}

export const renderPlugin = fp(
  async (app: FastifyInstance, opts: { env: nunjucks.Environment }) => {
    app.decorateRequest('viewLocals', null as unknown as ViewContext);
    app.addHook('onRequest', async (request) => {
      request.viewLocals = {};
    });
    const defaults = {
      serviceName: 'Wardroom',
      serviceUrl: '/',
      footerLinks: [
        { href: '/accessibility', text: 'Accessibility statement' },
        { href: '/privacy', text: 'Privacy notice' },
      ],
    };

    // For pages that are the same for everyone (cached public pages): no request, no cookies.
    app.decorate('renderPage', (template: string, context: ViewContext = {}) =>
      opts.env.render(template, { ...defaults, fieldErrors: {}, ...context }),
    );

    app.decorateReply('render', function (this: FastifyReply, template: string, context: ViewContext = {}) {
      const request: FastifyRequest = this.request;
      // Each field's message for its error (the first one if several), from the error summary's list.
      const errors = (context['errors'] as Array<{ text: string; href: string }> | undefined) ?? [];
      const fieldErrors: Record<string, { text: string }> = {};
      for (const e of errors) fieldErrors[e.href.replace(/^#/, '')] ??= { text: e.text };
      // The token is made only when a template prints it, so pages without forms set no CSRF
      // cookie (Nunjucks copies the context, so a getter would be read on every page).
      let token: string | undefined;
      const csrfToken = { toString: () => (token ??= request.csrfToken()) };
      const html = opts.env.render(template, {
        ...defaults,
        fieldErrors,
        ...request.viewLocals,
        csrfToken,
        currentPath: request.url.split('?')[0],
        ...context,
      });
      return this.type('text/html; charset=utf-8').send(html);
    });
  },
  { name: 'render', dependencies: ['csrf'] },
);
