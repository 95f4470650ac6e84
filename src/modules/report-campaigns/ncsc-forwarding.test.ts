import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import { startJobWorker } from '../../platform/jobs/job-worker.ts';
import { createMemoryLogger } from '../../platform/jobs/test-fixtures/memory-logger.ts';
import { waitFor } from '../../platform/jobs/test-fixtures/wait-for.ts';
import { parseInboundMail } from '../../platform/mail-in/inbound-mail-parser.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../platform/mail/test-fixtures/smtp-test-server.ts';
import { createDemoApp } from '../../platform/testing/demo-app.ts';
import { registerNcscForwardJob, NCSC_FORWARD_JOB } from './ncsc-forwarding.ts';
import { corpusEml, recordCorpusReport } from './report-fixtures.test-support.ts';

let smtp: SmtpTestServer;
before(async () => {
  smtp = await startSmtpTestServer();
});
after(() => smtp.close());

describeEachDatabase('send to the NCSC', (database) => {
  test('the original arrives byte for byte as a message/rfc822 attachment, once however often it is asked for', async (t) => {
    smtp.reset();
    const demo = await createDemoApp(database(), {
      env: { SMTP_HOST: smtp.config.host, SMTP_PORT: String(smtp.config.port), SMTP_FROM: smtp.config.from },
    });
    t.after(() => demo.close());
    const { db } = database();
    const westminster = demo.organisationId('westminster');
    const report = await recordCorpusReport(db, westminster, { eml: 'scam/refund-campaign-4.eml' });
    const analyst = await demo.staffClient('analyst', westminster);
    const page = await analyst.get(`/staff/reports/${report.id}`);
    assert.match(page.body, /Send to the NCSC/);
    const first = await analyst.post(`/staff/reports/${report.id}/ncsc`);
    assert.equal(first.headers.location, `/staff/reports/${report.id}?done=ncsc`);
    const second = await analyst.post(`/staff/reports/${report.id}/ncsc`);
    assert.equal(second.headers.location, `/staff/reports/${report.id}?done=ncsc-already`);
    const jobs = await db.selectFrom('jobs').select('id').where('kind', '=', NCSC_FORWARD_JOB).execute();
    assert.equal(jobs.length, 1);

    const handlers = new JobHandlerRegistry();
    registerNcscForwardJob(handlers, { smtp: smtp.config, address: 'report@phishing.gov.uk' });
    const worker = startJobWorker({
      database: database(),
      handlers,
      logger: createMemoryLogger(),
      pollIntervalMs: 20,
      leaseMs: 5000,
      retryDelayMs: () => 50,
    });
    t.after(() => worker.stop());
    await waitFor('the forward to arrive', () => smtp.received.length > 0);
    const sent = smtp.received[0]!;
    assert.equal(sent.header('To'), 'report@phishing.gov.uk');
    const parsed = await parseInboundMail(Buffer.from(sent.raw, 'utf8'));
    const attachment = parsed.attachments.find((a) => a.contentType === 'message/rfc822');
    assert.ok(attachment, 'a message/rfc822 attachment');
    assert.ok(attachment.content?.equals(corpusEml('scam/refund-campaign-4.eml')), 'byte-identical');
    const audit = await db.selectFrom('audit_events').select('action').where('target_id', '=', report.id).execute();
    assert.equal(audit.filter((a) => a.action === 'report.sent-to-ncsc').length, 1);
    const after = await analyst.get(`/staff/reports/${report.id}`);
    assert.doesNotMatch(after.body, /data-qa="send-ncsc"/);
  });
});
