// The data protection officer's pages for affected people, per incident: imports of councils'
// files (upload, preview and column mapping, progress, refused rows as a page and CSV), and the
// people found (search by email, mobile or postcode, a person's record, export as CSV).
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, requireStaff } from '../../platform/auth/staff-guard.ts';
import type { StaffNavigation } from '../../platform/auth/staff-navigation.ts';
import { CSV_BOM, csvLine } from '../../platform/csv/spreadsheet-csv.ts';
import type { Database } from '../../platform/db/database.ts';
import { formList, formText } from '../../platform/http/form-fields.ts';
import { acceptUploads, discardUpload, type UploadedFile } from '../../platform/http/multipart-upload.ts';
import { can, organisationsWhere } from '../../platform/policy/policy.ts';
import { DATA_CATEGORIES } from '../breaches/breach-record.ts';
import { UPLOADS_FOLDER } from './affected-import.ts';
import { IMPORT_FIELDS, IMPORT_FIELD_KEYS, type ImportField } from './affected-rows.ts';
import { columnMapFrom, createAffectedPeopleService } from './affected-people.service.ts';

/** The largest file the upload takes. */
export const MAX_UPLOAD_BYTES = 2 * 1024 * 1024 * 1024;

type Form = Record<string, unknown>;

export async function affectedPeopleRoutes(
  app: FastifyInstance,
  opts: { database: Database; navigation: StaffNavigation; dataDir: string },
): Promise<void> {
  const service = createAffectedPeopleService(opts.database.db);
  opts.navigation.add({ href: '/staff/affected-people', text: 'Affected people', action: 'affected-person.read' });
  const manage = { preHandler: requireStaff('breach.manage') };
  const read = { preHandler: requireStaff('affected-person.read') };
  const uploadsDir = path.join(opts.dataDir, UPLOADS_FOLDER);
  acceptUploads(app, {
    dir: uploadsDir,
    maxFileBytes: MAX_UPLOAD_BYTES,
    mayUpload: (request) => Boolean(request.staff && can(request.staff.principal, 'breach.manage')),
  });
  // An uploaded file that no route kept (refused by the CSRF check, say) is removed.
  const kept = new WeakSet<FastifyRequest>();
  app.addHook('onResponse', async (request) => {
    if (!kept.has(request)) discardUpload(request.body);
  });
  const params = (request: FastifyRequest) =>
    request.params as { incidentId: string; importId: string; personId: string };
  const base = (incidentId: string) => `/staff/incidents/${incidentId}/affected-people`;
  const pageOf = (request: FastifyRequest) => {
    const value = (request.query as Form)['page'];
    return typeof value === 'string' && /^\d{1,6}$/.test(value) && Number(value) > 0 ? Number(value) : 1;
  };
  const categories = (selected: string[]) =>
    Object.entries(DATA_CATEGORIES).map(([value, { text }]) => ({ value, text, checked: selected.includes(value) }));

  app.get('/staff/affected-people', read, async (request, reply) => {
    const organisationIds = organisationsWhere(request.staff!.principal, 'affected-person.read');
    const incidents = await opts.database.db
      .selectFrom('incidents as i')
      .innerJoin('incident_organisations as io', 'io.incident_id', 'i.id')
      .select(['i.id', 'i.reference', 'i.title'])
      .where('io.organisation_id', 'in', organisationIds)
      .distinct()
      .orderBy('i.reference')
      .execute();
    if (incidents.length === 1) return reply.redirect(base(incidents[0]!.id), 303);
    return reply.render('affected-people/views/staff-affected-incidents.njk', {
      pageTitle: 'Affected people',
      incidents,
    });
  });

  app.get('/staff/incidents/:incidentId/affected-people', read, async (request, reply) => {
    const { incidentId } = params(request);
    const principal = request.staff!.principal;
    const mayImport = can(principal, 'breach.manage');
    const found = mayImport
      ? await service.imports(principal, incidentId)
      : { ...(await service.scope(principal, incidentId, 'read')), imports: [], people: undefined };
    return reply.render('affected-people/views/staff-affected-people.njk', {
      pageTitle: 'Affected people',
      ...found,
      base: base(incidentId),
      mayImport,
    });
  });

  const renderUpload = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values: { council: string; categories: string[] },
    errors: { text: string; href: string }[] = [],
  ) => {
    const { incidentId } = params(request);
    const found = await service.scope(request.staff!.principal, incidentId, 'manage');
    return reply.code(errors.length ? 400 : 200).render('affected-people/views/staff-affected-upload.njk', {
      pageTitle: 'Import a file of affected people',
      ...found,
      base: base(incidentId),
      values,
      errors,
      councilItems: found.councils.map((c) => ({ value: c.id, text: c.name, checked: values.council === c.id })),
      categoryItems: categories(values.categories),
      maxText: '2 GB',
    });
  };

  app.get('/staff/incidents/:incidentId/affected-people/imports/new', manage, async (request, reply) =>
    renderUpload(request, reply, { council: '', categories: [] }),
  );

  app.post('/staff/incidents/:incidentId/affected-people/imports/new', manage, async (request, reply) => {
    const { incidentId } = params(request);
    const file = (request.body as { file?: UploadedFile } | undefined)?.file;
    const values = {
      council: formText(request.body, 'council', 100),
      categories: formList(request.body, 'categories'),
    };
    if (!file) {
      return renderUpload(request, reply, values, [{ text: 'Select a CSV file', href: '#file' }]);
    }
    const result = await service.upload(request.staff!.principal, actorOf(request), incidentId, {
      councilId: values.council,
      categories: values.categories,
      fileName: file.fileName,
      storedPath: file.storedPath,
      byteSize: file.bytes,
    });
    if (!result.ok) {
      return renderUpload(
        request,
        reply,
        values,
        result.errors.map((e) => ({ text: e.text, href: `#${e.field}` })),
      );
    }
    kept.add(request);
    return reply.redirect(`${base(incidentId)}/imports/${result.importId}`, 303);
  });

  const renderImport = async (
    request: FastifyRequest,
    reply: FastifyReply,
    errors: { text: string; href: string }[] = [],
    chosen?: Record<string, string>,
  ) => {
    const { incidentId, importId } = params(request);
    const principal = request.staff!.principal;
    const found = await service.progress(principal, incidentId, importId);
    if (found.row.status !== 'uploaded') {
      return reply.render('affected-people/views/staff-affected-import.njk', {
        pageTitle: `Import of ${found.row.file_name}`,
        ...found,
        base: base(incidentId),
        percent: found.row.byte_size ? Math.floor((found.row.bytes_done / found.row.byte_size) * 100) : 100,
        categoryNames: (JSON.parse(found.row.data_categories) as (keyof typeof DATA_CATEGORIES)[]).map(
          (c) => DATA_CATEGORIES[c]?.text ?? c,
        ),
      });
    }
    const preview = await service.preview(principal, actorOf(request), incidentId, importId);
    const selected = (field: ImportField) =>
      chosen ? (chosen[field] ?? '') : preview.guessed[field] === undefined ? '' : String(preview.guessed[field]);
    return reply.code(errors.length ? 400 : 200).render('affected-people/views/staff-affected-preview.njk', {
      pageTitle: 'Check the file and match its columns',
      ...preview,
      base: base(incidentId),
      errors,
      fields: IMPORT_FIELD_KEYS.map((field) => ({
        field,
        label: IMPORT_FIELDS[field].text,
        items: [
          { value: '', text: 'Not in the file', selected: selected(field) === '' },
          ...preview.header.map((h, i) => ({
            value: String(i),
            text: `Column ${i + 1}: ${h.slice(0, 60)}`,
            selected: selected(field) === String(i),
          })),
        ],
      })),
    });
  };

  app.get('/staff/incidents/:incidentId/affected-people/imports/:importId', manage, async (request, reply) =>
    renderImport(request, reply),
  );

  app.post('/staff/incidents/:incidentId/affected-people/imports/:importId/start', manage, async (request, reply) => {
    const { incidentId, importId } = params(request);
    const chosen = Object.fromEntries(IMPORT_FIELD_KEYS.map((f) => [f, formText(request.body, f, 10)]));
    const result = await service.start(
      request.staff!.principal,
      actorOf(request),
      incidentId,
      importId,
      columnMapFrom(chosen),
      true,
    );
    if (!result.ok) {
      return renderImport(
        request,
        reply,
        result.errors.map((text) => ({ text, href: '#email' })),
        chosen,
      );
    }
    return reply.redirect(`${base(incidentId)}/imports/${importId}`, 303);
  });

  app.post('/staff/incidents/:incidentId/affected-people/imports/:importId/cancel', manage, async (request, reply) => {
    const { incidentId, importId } = params(request);
    await service.cancel(request.staff!.principal, actorOf(request), incidentId, importId);
    return reply.redirect(`${base(incidentId)}/imports/${importId}`, 303);
  });

  app.get(
    '/staff/incidents/:incidentId/affected-people/imports/:importId/rejections',
    manage,
    async (request, reply) => {
      const { incidentId, importId } = params(request);
      const page = pageOf(request);
      const found = await service.rejections(request.staff!.principal, actorOf(request), incidentId, importId, page);
      return reply.render('affected-people/views/staff-affected-rejections.njk', {
        pageTitle: 'Rows that were not imported',
        ...found,
        base: base(incidentId),
        pages: Math.max(1, Math.ceil(found.row.rows_rejected / 100)),
      });
    },
  );

  app.get(
    '/staff/incidents/:incidentId/affected-people/imports/:importId/rejections.csv',
    manage,
    async (request, reply) => {
      const { incidentId, importId } = params(request);
      const found = await service.rejectionsForDownload(
        request.staff!.principal,
        actorOf(request),
        incidentId,
        importId,
      );
      // Streamed a page of rows at a time: a file of millions of rows can have millions refused.
      async function* lines() {
        yield CSV_BOM + csvLine(['Line', 'Reason']);
        for await (const rows of found.rows) {
          let chunk = '';
          for (const r of rows) chunk += csvLine([String(r.line), r.reason]);
          yield chunk;
        }
      }
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="rows-not-imported-${found.council.slug}.csv"`)
        .send(Readable.from(lines()));
    },
  );

  app.get('/staff/incidents/:incidentId/affected-people/people', read, async (request, reply) => {
    const { incidentId } = params(request);
    const q = (request.query as Form)['q'];
    const found = await service.people(
      request.staff!.principal,
      actorOf(request),
      incidentId,
      typeof q === 'string' ? q.slice(0, 200) : '',
      pageOf(request),
    );
    return reply.code(found.problem ? 400 : 200).render('affected-people/views/staff-affected-search.njk', {
      pageTitle: 'Find affected people',
      ...found,
      base: base(incidentId),
      errors: found.problem ? [{ text: found.problem, href: '#q' }] : [],
    });
  });

  app.get('/staff/incidents/:incidentId/affected-people/people.csv', read, async (request, reply) => {
    const { incidentId } = params(request);
    const found = await service.exportPeople(request.staff!.principal, actorOf(request), incidentId);
    const chunks: string[] = [
      CSV_BOM + csvLine(['Name', 'Email', 'Mobile', 'Address', 'Postcode', 'Councils', 'Kinds of data']),
    ];
    for await (const people of found.batches) {
      for (const p of people) {
        const mine = p.councils.filter((c) => found.councils.some((own) => own.id === c.organisationId));
        chunks.push(
          csvLine([
            p.fullName,
            p.email ?? '',
            p.phone ?? '',
            p.addressLines.join(', '),
            p.postcode ?? '',
            p.councils.map((c) => c.organisationName).join('; '),
            [...new Set(mine.flatMap((c) => c.categories))]
              .map((c) => DATA_CATEGORIES[c as keyof typeof DATA_CATEGORIES]?.text ?? c)
              .join('; '),
          ]),
        );
      }
    }
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="affected-people.csv"')
      .send(chunks.join(''));
  });

  app.get('/staff/incidents/:incidentId/affected-people/people/:personId', read, async (request, reply) => {
    const { incidentId, personId } = params(request);
    const found = await service.person(request.staff!.principal, actorOf(request), incidentId, personId);
    return reply.render('affected-people/views/staff-affected-person.njk', {
      pageTitle: found.person.fullName || 'Affected person',
      ...found,
      base: base(incidentId),
      councilRows: found.councils.map((c) => ({
        name: c.organisationName,
        categories: c.categories?.map((k) => DATA_CATEGORIES[k as keyof typeof DATA_CATEGORIES]?.text ?? k),
      })),
    });
  });
}
