// Table types for the whole database. Timestamps are ISO-8601 text, booleans 0/1 integers and JSON
// is text on both dialects; repositories map rows to domain types.
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface OrganisationsTable {
  id: string;
  slug: string;
  name: string;
  short_name: string;
  kind: 'council' | 'agency' | 'provider';
  website_url: string | null;
  official_domains: string; // JSON array of domains
  created_at: string;
  updated_at: string;
}

export interface UsersTable {
  id: string;
  email: string; // lower-cased
  display_name: string;
  password_hash: string | null;
  totp_secret_box: string | null; // encrypted with a key derived from SESSION_SECRET
  totp_enrolled_at: string | null;
  totp_last_step: number | null; // the last accepted time step, so a code is never accepted twice
  status: 'invited' | 'active' | 'disabled';
  created_at: string;
  updated_at: string;
}

export interface MembershipsTable {
  user_id: string;
  organisation_id: string;
  role: string;
  created_at: string;
}

export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  used_at: string | null;
  created_at: string;
}

export interface UserTokensTable {
  id: string;
  user_id: string;
  purpose: 'setup';
  token_hash: string;
  expires_at: string;
  used_at: string | null;
  created_by: string | null;
  created_at: string;
}

export interface SessionsTable {
  id: string; // SHA-256 of the cookie token; the token itself is never stored
  user_id: string;
  stage: 'mfa' | 'mfa-enrol' | 'active';
  created_at: string;
  last_seen_at: string;
  idle_expires_at: string;
  absolute_expires_at: string;
  revoked_at: string | null;
  ip: string | null;
  user_agent: string | null;
  pending_totp_box: string | null; // the key offered to this sign-in attempt during enrolment
}

export interface SignInThrottleTable {
  key: string; // a keyed hash of an email address or an IP address
  failures: number;
  first_failure_at: string;
  locked_until: string | null;
  locks: number; // how many times this key has been locked in the current streak (for back-off)
}

export interface AuditEventsTable {
  seq: number;
  id: string;
  occurred_at: string;
  actor_user_id: string | null;
  actor_label: string;
  organisation_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: string; // JSON object
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface JobsTable {
  id: string;
  kind: string;
  payload: string; // JSON
  idempotency_key: string | null;
  organisation_id: string | null;
  status: 'queued' | 'running' | 'succeeded' | 'dead';
  attempts: number;
  max_attempts: number;
  run_at: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  last_error: string | null;
  progress_done: number;
  progress_total: number | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface JobEffectsTable {
  // Idempotency ledger for job handlers: an effect keyed once is never applied twice.
  key: string;
  job_id: string;
  created_at: string;
}

export interface IncidentsTable {
  id: string;
  reference: string;
  title: string;
  status: 'investigating' | 'contained' | 'recovering' | 'closed';
  severity: 'low' | 'medium' | 'high' | 'critical';
  lead_organisation_id: string;
  detected_at: string;
  declared_at: string | null;
  summary: string;
  data_affected: string;
  data_categories: string; // JSON array of strings
  advice: string;
  restoration_outlook: string;
  created_at: string;
  updated_at: string;
}

export interface IncidentOrganisationsTable {
  incident_id: string;
  organisation_id: string;
  relationship: 'affected' | 'investigating' | 'provider';
}

export interface PublicContactsTable {
  id: string;
  incident_id: string;
  organisation_id: string;
  kind: 'phone' | 'email' | 'web';
  label: string;
  value: string;
  hours: string | null;
  position: number;
}

export interface ServicesTable {
  id: string;
  incident_id: string;
  organisation_id: string;
  slug: string;
  name: string;
  service_group: string;
  status: 'working' | 'disrupted' | 'unavailable' | 'restored';
  workaround: string;
  expected_restoration: string | null; // YYYY-MM-DD, or null for "not known yet"
  changed_at: string;
  created_at: string;
}

export interface TimelineEntriesTable {
  id: string;
  incident_id: string;
  organisation_id: string | null;
  kind: 'event' | 'decision' | 'action' | 'note' | 'record-change' | 'service-change';
  occurred_at: string;
  title: string;
  body: string;
  details: string; // JSON object
  author_user_id: string | null;
  author_label: string;
  created_at: string;
}

export interface PublicContentVersionTable {
  id: number;
  version: number;
}

export interface PublicUpdatesTable {
  id: string;
  incident_id: string;
  published_version_id: string | null; // the version residents see, once one is approved
  first_published_at: string | null;
  last_published_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface PublicUpdateCouncilsTable {
  update_id: string;
  organisation_id: string;
}

export interface PublicUpdateVersionsTable {
  id: string;
  update_id: string;
  version_number: number;
  state: 'draft' | 'submitted' | 'published';
  title: string;
  body: string; // plain text; a blank line separates paragraphs
  author_user_id: string | null;
  author_label: string;
  contributor_ids: string; // JSON array of the user ids who wrote, changed or submitted this version
  created_at: string;
  updated_at: string;
  submitted_at: string | null;
  submitted_by_label: string | null;
  rejected_at: string | null;
  rejected_by_label: string | null;
  rejection_reason: string | null;
  approved_by_user_id: string | null;
  approved_by_label: string | null;
  published_at: string | null;
}

export interface SubscriptionsTable {
  id: string;
  organisation_id: string;
  channel: 'email' | 'sms';
  address: string; // an email address lower-cased, or a UK mobile number as +447…
  status: 'pending' | 'confirmed' | 'unsubscribed';
  confirm_token_hash: string | null; // SHA-256, hex
  confirm_expires_at: string | null;
  confirm_sent_at: string | null;
  confirmed_at: string | null;
  unsubscribed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface SubscriptionUnsubscribeTokensTable {
  token_hash: string; // SHA-256, hex
  subscription_id: string;
  message_key: string;
  created_at: string;
}

export interface IncidentTranslationsTable {
  id: string;
  incident_id: string;
  organisation_id: string; // the council whose page shows it
  language: string; // a code from modules/public-content/languages.ts, e.g. 'cy', 'zh-Hans'
  summary: string; // plain text; a blank line separates paragraphs
  advice: string;
  english_digest: string; // of the English summary and advice it was translated from
  created_at: string;
  updated_at: string;
  updated_by_label: string;
}

export interface IncidentFaqEntriesTable {
  id: string;
  incident_id: string;
  organisation_id: string; // the council whose page shows it
  position: number; // order on the page, from 0
  question: string;
  answer: string; // plain text; a blank line separates paragraphs
  created_at: string;
  updated_at: string;
  updated_by_label: string;
}

export interface EnquirySettingsTable {
  organisation_id: string;
  reference_prefix: string;
  enquiry_addresses: string; // JSON array of lower-cased addresses
  retention_days: number;
  updated_at: string;
}

export type EnquiryTopic = 'affected' | 'suspicious-contact' | 'service' | 'data-worry' | 'other';
export type EnquiryStatus = 'new' | 'in-progress' | 'waiting' | 'resolved' | 'closed';
export type EnquiryPriority = 'urgent' | 'standard';
export type EnquiryChannel = 'web' | 'email' | 'phone' | 'post';

export interface EnquiryCasesTable {
  id: string;
  organisation_id: string;
  incident_id: string | null;
  reference: string;
  topic: EnquiryTopic;
  status: EnquiryStatus;
  priority: EnquiryPriority;
  priority_reasons: string; // JSON array of strings
  opened_via: 'web' | 'email' | 'phone';
  summary: string;
  resident_name: string | null;
  resident_email: string | null; // lower-cased
  resident_phone: string | null; // digits only
  resident_address: string | null;
  reply_by: 'email' | 'phone' | 'post' | null;
  support_needs: string | null;
  aged_75_or_over: number; // 0/1
  social_care: number; // 0/1
  assigned_user_id: string | null;
  due_at: string;
  first_response_at: string | null;
  /** When a promised call back to the resident is due, until it is made. */
  callback_due_at: string | null;
  merged_into_case_id: string | null;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  anonymised_at: string | null;
}

export interface EnquiryEntriesTable {
  id: string;
  case_id: string;
  kind: 'message' | 'reply' | 'call' | 'note' | 'event';
  channel: EnquiryChannel | null;
  subject: string | null;
  body: string;
  email_message_id: string | null;
  author_user_id: string | null;
  author_label: string;
  details: string; // JSON object
  created_at: string;
}

export interface EnquiryDraftsTable {
  token_hash: string;
  organisation_id: string;
  answers: string; // JSON
  case_id: string | null;
  created_at: string;
  expires_at: string;
}

export interface InboundMailTable {
  id: string;
  received_at: string;
  source: 'smtp' | 'imap' | 'import';
  source_ref: string | null;
  envelope_from: string | null;
  envelope_to: string; // JSON array
  mailbox: string | null;
  raw: Buffer; // bytea on PostgreSQL, BLOB on SQLite
  size: number | string; // bigint: a string from PostgreSQL
  truncated: number; // 0/1
  sha256: string;
  status: 'received' | 'processed' | 'rejected' | 'failed';
  reason: string | null;
  handled_by: string | null;
  produced: string | null; // JSON array of { mailbox, kind, id }
  organisation_id: string | null;
  subject: string | null;
  header_from: string | null;
  message_id: string | null;
  retries: number;
  processed_at: string | null;
  created_at: string;
  updated_at: string;
}

export type BreachEstimateBasis = 'exact' | 'approximate' | 'range' | 'unknown';
export type YesNoUnknown = 'yes' | 'no' | 'unknown';

export interface BreachRecordsTable {
  id: string;
  incident_id: string;
  organisation_id: string; // the council whose breach it is; its DPO keeps the record
  version: number; // goes up by one with every change (optimistic concurrency)
  description: string;
  aware_at: string; // when the council became aware: starts the 72-hour clock
  discovery: string;
  data_categories: string; // JSON array of category keys (modules/breaches/breach-record.ts)
  data_categories_other: string;
  systems_affected: string; // JSON array of strings
  people_basis: BreachEstimateBasis;
  people_low: number | null;
  people_high: number | null;
  records_basis: BreachEstimateBasis;
  records_low: number | null;
  records_high: number | null;
  data_exfiltrated: YesNoUnknown;
  data_encrypted: YesNoUnknown;
  consequences: string;
  measures_taken: string;
  measures_proposed: string;
  bodies_informed: string; // JSON array of keys
  bodies_informed_other: string;
  tell_people: 'told' | 'planned' | 'no' | 'undecided';
  tell_people_on: string | null; // YYYY-MM-DD
  tell_people_reason: string;
  dpo_name: string;
  dpo_email: string;
  dpo_phone: string;
  risk_likelihood: 'remote' | 'possible' | 'likely' | null;
  risk_severity: 'minimal' | 'significant' | 'severe' | null;
  risk_reasoning: string;
  risk_assessed_at: string | null;
  risk_assessed_by_label: string | null;
  not_reporting_reason: string;
  created_at: string;
  updated_at: string;
  updated_by_label: string;
}

export interface BreachSubmissionsTable {
  id: string;
  breach_id: string;
  sequence: number; // 1 is the initial report, later ones follow-ups
  submitted_at: string;
  ico_reference: string;
  delay_reason: string; // why the initial report came after 72 hours, when it did
  notes: string;
  record_version: number; // the version of the record the report was made from
  report_snapshot: string; // JSON: the report as sent, never changed afterwards
  recorded_at: string;
  recorded_by_user_id: string | null;
  recorded_by_label: string;
}

export interface AffectedImportsTable {
  id: string;
  incident_id: string;
  organisation_id: string; // the council whose data the file holds
  file_name: string;
  stored_path: string; // under the data directory, until the import is done
  byte_size: number;
  sha256: string;
  encoding: 'utf-8' | 'windows-1252';
  column_map: string | null; // JSON: field → column index
  has_header: number;
  data_categories: string; // JSON array of category keys for every row
  status: 'uploaded' | 'queued' | 'importing' | 'done' | 'failed' | 'cancelled';
  bytes_done: number; // checkpoint, written with the rows it covers
  lines_done: number;
  rows_accepted: number;
  rows_rejected: number;
  people_added: number;
  failure: string | null;
  created_at: string;
  created_by_user_id: string | null;
  created_by_label: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface AffectedImportRejectionsTable {
  import_id: string;
  line: number; // where the row starts in the file, from 1
  reason: string; // names the column, never the value
}

export interface AffectedPeopleTable {
  id: string;
  incident_id: string;
  full_name: string;
  email: string | null;
  phone_e164: string | null; // a UK mobile in E.164
  address_lines: string; // JSON array of strings
  postcode: string | null;
  created_at: string;
  updated_at: string;
}

export interface AffectedPersonKeysTable {
  incident_id: string;
  key: string; // `email:…`, `phone:…`, `address:…`
  person_id: string;
}

export interface AffectedPersonCouncilsTable {
  person_id: string;
  organisation_id: string;
  data_categories: string; // JSON array of category keys
  first_import_id: string;
}

export interface ScamWarningsTable {
  id: string;
  incident_id: string;
  organisation_id: string; // the council whose page shows it
  campaign_id: string | null;
  state: 'waiting' | 'sent-back' | 'published' | 'withdrawn';
  title: string;
  summary: string; // what the scam looks like
  how_to_spot: string;
  what_to_do: string;
  author_user_id: string | null;
  author_label: string;
  contributor_ids: string; // JSON array of user ids
  created_at: string;
  updated_at: string;
  sent_back_at: string | null;
  sent_back_by_label: string | null;
  sent_back_reason: string | null;
  approved_by_user_id: string | null;
  approved_by_label: string | null;
  published_at: string | null;
  withdrawn_at: string | null;
  withdrawn_by_label: string | null;
  withdrawal_reason: string | null;
}

export type SuspiciousVerdict = 'likely-scam' | 'suspicious' | 'likely-genuine' | 'cannot-tell';

export interface ReportCampaignsTable {
  id: string;
  organisation_id: string;
  title: string;
  suggested_verdict: SuspiciousVerdict;
  analyst_verdict: 'scam' | 'not-scam' | 'genuine' | 'undetermined' | null;
  analyst_note: string;
  verdict_at: string | null;
  verdict_by_label: string | null;
  representative_report_id: string | null;
  report_count: number;
  /** JSON object: suggested verdict → number of the campaign's reports with it. */
  verdict_counts: Generated<string>;
  first_reported_at: string;
  last_reported_at: string;
  created_at: string;
  updated_at: string;
}

export interface SuspiciousReportsTable {
  id: string;
  reference: string; // SR-XXXXXXXX, for the reporter
  organisation_id: string;
  channel: 'web' | 'email' | 'api';
  kind: 'email' | 'text' | 'phone-call' | 'letter' | 'website' | 'other';
  claimed_sender: string;
  received_on: string | null; // YYYY-MM-DD
  sender: string;
  subject: string;
  body_text: string; // plain text, capped
  original_message: Buffer | null; // the original email, capped
  inbound_mail_id: string | null;
  screenshot: Buffer | null; // re-encoded without metadata
  screenshot_type: string | null;
  reporter_email: string | null;
  wants_outcome: number;
  acknowledged_at: string | null;
  outcome_sent_at: string | null;
  suggested_verdict: SuspiciousVerdict;
  score: number;
  reasons: string; // JSON array of { code, text, evidence }
  indicators: string; // JSON
  campaign_keys: string; // JSON array of strings
  text_signature: Buffer | null; // MinHash of the normalised text
  campaign_id: string | null;
  status: 'new' | 'triaged' | 'closed';
  analyst_note: string;
  ncsc_forwarded_at: string | null; // when it was queued to go to the NCSC; never sent twice
  ncsc_forwarded_by_label: string | null;
  created_at: string;
  updated_at: string;
}

export interface SuspiciousReportSettingsTable {
  organisation_id: string;
  report_addresses: string; // JSON array of lower-cased addresses
  updated_at: string;
}

export interface SuspiciousReportDraftsTable {
  token_hash: string;
  organisation_id: string;
  answers: string; // JSON
  email_file: Buffer | null;
  email_file_name: string | null;
  screenshot: Buffer | null; // metadata already removed
  screenshot_type: 'image/png' | 'image/jpeg' | null;
  screenshot_name: string | null;
  report_id: string | null;
  created_at: string;
  expires_at: string;
}

export interface ReportCampaignKeysTable {
  organisation_id: string;
  key: string;
  campaign_id: string;
}

export interface ReportSignatureBandsTable {
  organisation_id: string;
  band_key: string; // `<band>:<rows of the MinHash signature>`
  campaign_id: string;
  report_id: string; // the report whose signature this band came from
}

export interface ReplyTemplatesTable {
  id: string;
  organisation_id: string;
  name: string; // the latest version's
  name_key: string; // lower-cased name, unique per council
  latest_version: number;
  approved_version_id: string | null; // the version agents send
  withdrawn_at: string | null;
  withdrawn_by_label: string | null;
  created_at: string;
  updated_at: string;
}

export interface ReplyTemplateVersionsTable {
  id: string;
  template_id: string;
  version: number;
  name: string;
  topics: string; // JSON array of EnquiryTopic
  subject: string;
  body: string; // plain text with ((placeholders))
  drafted_by_user_id: string | null;
  drafted_by_label: string;
  created_at: string;
  approved_by_user_id: string | null;
  approved_by_label: string | null;
  approved_at: string | null;
}

export interface EnquiryBulkRepliesTable {
  id: string;
  organisation_id: string;
  template_version_id: string;
  status_after: 'in-progress' | 'waiting' | 'resolved';
  base_url: string;
  created_by_user_id: string | null;
  created_by_label: string;
  created_at: string;
}

export interface EnquiryBulkReplyCasesTable {
  bulk_reply_id: string;
  case_id: string;
  outcome: 'queued' | 'sent' | 'skipped';
  reason: string | null;
  entry_id: string | null;
  updated_at: string;
}

export type GenuineContactChannel = 'email' | 'sms' | 'phone' | 'letter' | 'website';
export type GenuineContactKind =
  'email-address' | 'email-domain' | 'sms-sender' | 'phone' | 'domain' | 'reference-format';

export interface GenuineContactsTable {
  id: string;
  organisation_id: string;
  channel: GenuineContactChannel;
  kind: GenuineContactKind;
  value: string; // as staff typed it
  value_key: string; // the normalised form checks compare against
  description: string;
  active_from: string; // YYYY-MM-DD
  active_to: string | null; // YYYY-MM-DD
  created_at: string;
  updated_at: string;
  updated_by_label: string;
}

export interface GenuineContactSettingsTable {
  organisation_id: string;
  never_ask: string; // JSON array of sentences
  updated_at: string;
  updated_by_label: string;
}

/** The verification reference of a queued message: never its recipient or content. */
export interface SentReferencesTable {
  reference: string;
  organisation_id: string | null;
  channel: 'email' | 'sms' | 'letter';
  queued_at: string;
}

export interface CallCodesTable {
  id: string;
  organisation_id: string;
  code_salt: string;
  code_hash: string;
  issued_by_user_id: string | null;
  issued_by_label: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface IncidentSharesTable {
  incident_id: string;
  owner_organisation_id: string;
  organisation_id: string;
  scope: 'enquiries';
  shared_by_user_id: string | null;
  shared_by_label: string;
  created_at: string;
}

export type CampaignStatus = 'draft' | 'approved' | 'queueing' | 'sending' | 'paused' | 'done' | 'cancelled';
export type CampaignChannel = 'email' | 'sms' | 'letter' | 'none';
export type RecipientStatus =
  | 'queued'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'temporary-failure'
  | 'permanent-failure'
  | 'unknown'
  | 'printed'
  | 'no-route';

export interface NotificationCampaignsTable {
  id: string;
  incident_id: string;
  organisation_id: string;
  title: string;
  status: CampaignStatus;
  version: number;
  email_subject: string;
  email_body: string;
  sms_body: string;
  letter_body: string;
  rate_per_minute: number;
  created_at: string;
  created_by_user_id: string | null;
  created_by_label: string;
  updated_at: string;
  approved_at: string | null;
  approved_by_user_id: string | null;
  approved_by_label: string | null;
  queue_cursor: string | null;
  people_total: number;
  queued_at: string | null;
  finished_at: string | null;
}

export interface CampaignRecipientsTable {
  campaign_id: string;
  person_id: string;
  channel: CampaignChannel;
  reference: string;
  status: RecipientStatus;
  attempts: Generated<number>;
  next_attempt_at: string | null;
  provider_id: string | null;
  last_error: string | null;
  letter_batch_id: string | null;
  updated_at: string;
  sent_at: string | null;
}

export interface CampaignLetterBatchesTable {
  id: string;
  campaign_id: string;
  number: number;
  letters: number;
  created_at: string;
  downloaded_at: string | null;
}

export interface SentReferenceCouncilsTable {
  reference: string;
  organisation_id: string;
}

export interface DB {
  genuine_contacts: GenuineContactsTable;
  genuine_contact_settings: GenuineContactSettingsTable;
  sent_references: SentReferencesTable;
  call_codes: CallCodesTable;
  incident_shares: IncidentSharesTable;
  enquiry_settings: EnquirySettingsTable;
  enquiry_cases: EnquiryCasesTable;
  enquiry_entries: EnquiryEntriesTable;
  enquiry_drafts: EnquiryDraftsTable;
  subscriptions: SubscriptionsTable;
  subscription_unsubscribe_tokens: SubscriptionUnsubscribeTokensTable;
  public_updates: PublicUpdatesTable;
  public_update_councils: PublicUpdateCouncilsTable;
  public_update_versions: PublicUpdateVersionsTable;
  organisations: OrganisationsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  recovery_codes: RecoveryCodesTable;
  user_tokens: UserTokensTable;
  sessions: SessionsTable;
  sign_in_throttle: SignInThrottleTable;
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
  jobs: JobsTable;
  job_effects: JobEffectsTable;
  incidents: IncidentsTable;
  incident_organisations: IncidentOrganisationsTable;
  public_contacts: PublicContactsTable;
  services: ServicesTable;
  timeline_entries: TimelineEntriesTable;
  public_content_version: PublicContentVersionTable;
  incident_translations: IncidentTranslationsTable;
  incident_faq_entries: IncidentFaqEntriesTable;
  inbound_mail: InboundMailTable;
  breach_records: BreachRecordsTable;
  breach_submissions: BreachSubmissionsTable;
  affected_imports: AffectedImportsTable;
  affected_import_rejections: AffectedImportRejectionsTable;
  affected_people: AffectedPeopleTable;
  affected_person_keys: AffectedPersonKeysTable;
  affected_person_councils: AffectedPersonCouncilsTable;
  report_campaigns: ReportCampaignsTable;
  scam_warnings: ScamWarningsTable;
  suspicious_reports: SuspiciousReportsTable;
  report_campaign_keys: ReportCampaignKeysTable;
  suspicious_report_settings: SuspiciousReportSettingsTable;
  suspicious_report_drafts: SuspiciousReportDraftsTable;
  report_signature_bands: ReportSignatureBandsTable;
  reply_templates: ReplyTemplatesTable;
  reply_template_versions: ReplyTemplateVersionsTable;
  enquiry_bulk_replies: EnquiryBulkRepliesTable;
  enquiry_bulk_reply_cases: EnquiryBulkReplyCasesTable;
  notification_campaigns: NotificationCampaignsTable;
  campaign_recipients: CampaignRecipientsTable;
  campaign_letter_batches: CampaignLetterBatchesTable;
  sent_reference_councils: SentReferenceCouncilsTable;
}

export type OrganisationRow = Selectable<OrganisationsTable>;
export type NewOrganisationRow = Insertable<OrganisationsTable>;
export type UserRow = Selectable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type JobRow = Selectable<JobsTable>;
export type { Generated };
