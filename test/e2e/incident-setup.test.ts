// Setting an incident up: an incident manager adds a service and a helpline for their council and
// an agency to the incident, and a resident sees all three on the council's incident page at once.
// Every staff and public page on the way passes axe; with and without JavaScript.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { upsertOrganisation } from '../../src/platform/accounts/accounts.repository.ts';
import {
  AddPhoneNumberPage,
  AddServicePage,
  ContactsPage,
  OrganisationsPage,
  StaffIncidentPage,
} from './pages/incident-setup-pages.ts';
import { IncidentPage, ServicePage } from './pages/public-pages.ts';
import { signInAsDemo } from './support/demo-sign-in.ts';
import { PageAt } from './support/page-at.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';

const INCIDENT = 'Cyber attack on shared IT systems';
const WESTMINSTER = 'Westminster City Council';

describeJourneys('incident set-up journey', (e2e) => {
  // An agency that is not yet on the demo incident, for the second journey.
  before(async () => {
    await upsertOrganisation(e2e.server().database.db, {
      slug: 'action-fraud',
      name: 'Action Fraud',
      shortName: 'Action Fraud',
      kind: 'agency',
      websiteUrl: 'https://www.actionfraud.police.uk',
      officialDomains: ['actionfraud.police.uk'],
    });
  });

  for (const [javaScriptEnabled, agency, service, helpline] of [
    [true, "Information Commissioner's Office", 'Housing repairs', '020 7641 3003'],
    [false, 'Action Fraud', 'Pest control', '020 7641 2000'],
  ] as const) {
    test(
      `an incident manager adds a service, a helpline and an agency, and residents see them (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`,
      { timeout: JOURNEY_TIMEOUT_MS },
      () =>
        e2e.journey(
          async (journey) => {
            await signInAsDemo(journey, e2e.server().demo('incident-manager'));

            await journey.goto('/staff/incidents');
            await new PageAt(journey, 'Incidents', '/staff/incidents').check();
            await journey.navigate(() => journey.page.getByRole('link', { name: INCIDENT }).click());
            const incident = await new StaffIncidentPage(journey, INCIDENT).check();

            // A service. With JavaScript on, the form first refuses a blank one (axe without
            // JavaScript reloads a page by GET, so it cannot check the answer to a POST).
            await incident.addServiceFor(WESTMINSTER);
            let addService = await new AddServicePage(journey, WESTMINSTER).check();
            if (javaScriptEnabled) {
              await addService.submit();
              addService = await new AddServicePage(journey, WESTMINSTER).check();
              assert.deepEqual(await addService.errorSummary(), [
                'Enter the name of the service',
                'Select the type of service',
                'Select a status',
              ]);
              assert.equal(await addService.fieldError('name'), 'Enter the name of the service');
            }
            await addService.add({
              name: service,
              group: 'Housing',
              status: 'Disrupted',
              workaround: `Report urgent problems on ${helpline}.`,
              expectedBack: '2026-04-30',
            });
            const afterService = await new StaffIncidentPage(journey, INCIDENT).check();
            assert.match(await afterService.savedBanner(), /Saved/);
            assert.match(await afterService.timeline(), new RegExp(`${service} added to the service list: Disrupted`));

            // A helpline.
            await afterService.openContacts();
            const contacts = await new ContactsPage(journey).check();
            await contacts.addPhoneNumberFor('westminster');
            const addPhone = await new AddPhoneNumberPage(journey, WESTMINSTER).check();
            await addPhone.add(`${service} line`, helpline, 'Monday to Friday, 8am to 6pm');
            const afterContact = await new ContactsPage(journey).check();
            assert.match(await afterContact.contactsOf('westminster'), new RegExp(helpline));

            // An agency working on the incident.
            await journey.goto(new URL(journey.page.url()).pathname.replace(/\/contacts$/, ''));
            await (await new StaffIncidentPage(journey, INCIDENT).check()).changeOrganisations();
            const organisations = await new OrganisationsPage(journey).check();
            await organisations.add(`${agency} (investigating agency)`);
            const afterAgency = await new OrganisationsPage(journey).check();
            assert.match(await afterAgency.organisations(), new RegExp(agency));

            if (javaScriptEnabled) {
              // The other set-up pages, for axe: each is opened from the page that links to it.
              const incidentPath = new URL(journey.page.url()).pathname.replace(/\/organisations$/, '');
              const open = async (link: string, heading: string, path: RegExp, title = heading) => {
                await journey.navigate(() => journey.page.getByRole('link', { name: link }).first().click());
                return new PageAt(journey, heading, path, title).check();
              };
              await open('Remove National Crime Agency', 'Take National Crime Agency off the incident', /\/remove$/);
              await journey.goto(incidentPath);
              await open('Change categories of data', 'Categories of data affected', /\/data-categories$/);
              await journey.goto(`${incidentPath}/contacts`);
              await open(
                `Change ${service} line`,
                'Change a phone number',
                /^\/staff\/contacts\/[\w-]+\/edit$/,
                `Change a phone number for ${WESTMINSTER}`,
              );
              await journey.goto(`${incidentPath}/contacts`);
              await open(`Remove ${service} line`, `Remove ${service} line?`, /^\/staff\/contacts\/[\w-]+\/remove$/);
              await journey.goto(incidentPath);
              await open(
                `Change ${service}, ${WESTMINSTER}`,
                service,
                /^\/staff\/services\/[\w-]+\/edit$/,
                `Change the status of ${service}`,
              );
              await open('Change the name or type of service', `Change the name or type of ${service}`, /\/name$/);
              await journey.page.goBack();
              await open('Remove it from the service list', `Remove ${service} from the service list`, /\/remove$/);
            }
            await journey.navigate(() => journey.page.locator('[data-qa="sign-out"]').click());

            // A resident, straight away.
            await journey.goto('/westminster/cyber-incident');
            const page = await new IncidentPage(journey, INCIDENT, '/westminster/cyber-incident').check();
            assert.match(await page.contacts(), new RegExp(`${service} line[\\s\\S]*${helpline}[\\s\\S]*8am to 6pm`));
            assert.ok((await page.services()).includes(service));
            assert.match(await page.page.locator('main').innerText(), new RegExp(`We are working with .*${agency}`));
            await journey.navigate(() => page.openService(service));
            const own = await new ServicePage(
              journey,
              service,
              `/westminster/cyber-incident/services/${service.toLowerCase().replace(/ /g, '-')}`,
            ).check();
            assert.match(await own.page.locator('main').innerText(), /30 April 2026/);
          },
          { javaScriptEnabled },
        ),
    );
  }
});
