import { z } from 'zod';

/**
 * KernelCI's kcidb I/O schema v4 as zod, for the tests: written from the JSON schema in
 * github.com/kernelci/kcidb-io, kcidb_io/schema/v04_05.py (the last v4 minor; the id, origin,
 * hash and URL patterns are inherited from v03_00.py). Objects are strict there
 * ("additionalProperties": False) and here; JSON-schema formats (uri, date-time, email) are
 * checked, which kcidb's validator does only with a format checker: stricter, never looser.
 * Only the parts memharness could emit are detailed; issues and incidents keep their
 * required fields.
 */

const ORIGIN = /^[a-z0-9_]+$/;
const ORIGIN_ID = /^[a-z0-9_]+:.*$/;
const SHA1 = /^[0-9a-f]{40}$/;
const SHA256_OR_EMPTY = /^$|^[0-9a-f]{64}$/;
const GIT_URL = /^(https|git):\/\/.*$/;

const timestamp = z.iso.datetime({ offset: true });
const misc = z.record(z.string(), z.unknown());
const resource = z.strictObject({ name: z.string().regex(/^[^/]+$/), url: z.url() });
const resourceList = z.array(resource);
const excerpt = z.string().max(16_384);

export const kcidbStatusSchema = z.enum(['FAIL', 'ERROR', 'MISS', 'PASS', 'DONE', 'SKIP']);

export const kcidbCheckoutSchema = z.strictObject({
  _timestamp: timestamp.optional(),
  id: z.string().regex(ORIGIN_ID),
  origin: z.string().regex(ORIGIN),
  tree_name: z.string().optional(),
  git_repository_url: z.url().regex(GIT_URL).optional(),
  git_commit_hash: z.string().regex(SHA1).optional(),
  git_commit_name: z.string().optional(),
  git_repository_branch: z.string().optional(),
  patchset_files: resourceList.optional(),
  patchset_hash: z.string().regex(SHA256_OR_EMPTY).optional(),
  message_id: z.email().optional(),
  comment: z.string().optional(),
  start_time: timestamp.optional(),
  contacts: z.array(z.string()).optional(),
  log_url: z.url().optional(),
  log_excerpt: excerpt.optional(),
  valid: z.boolean().optional(),
  misc: misc.optional(),
});

export const kcidbBuildSchema = z.strictObject({
  _timestamp: timestamp.optional(),
  checkout_id: z.string().regex(ORIGIN_ID),
  id: z.string().regex(ORIGIN_ID),
  origin: z.string().regex(ORIGIN),
  comment: z.string().optional(),
  start_time: timestamp.optional(),
  duration: z.number().optional(),
  architecture: z.string().regex(/^[a-z0-9_]*$/).optional(),
  command: z.string().optional(),
  compiler: z.string().optional(),
  input_files: resourceList.optional(),
  output_files: resourceList.optional(),
  config_name: z.string().optional(),
  config_url: z.url().optional(),
  log_url: z.url().optional(),
  log_excerpt: excerpt.optional(),
  valid: z.boolean().optional(),
  misc: misc.optional(),
});

export const kcidbTestSchema = z.strictObject({
  _timestamp: timestamp.optional(),
  build_id: z.string().regex(ORIGIN_ID),
  id: z.string().regex(ORIGIN_ID),
  origin: z.string().regex(ORIGIN),
  environment: z
    .strictObject({
      compatible: z.array(z.string().regex(/^[^ ]+(,[^ ]+)*$/)).optional(),
      comment: z.string().optional(),
      misc: misc.optional(),
    })
    .optional(),
  path: z.string().regex(/^[.a-zA-Z0-9_-]*$/).optional(),
  comment: z.string().optional(),
  log_url: z.url().optional(),
  log_excerpt: excerpt.optional(),
  status: kcidbStatusSchema.optional(),
  number: z.strictObject({ value: z.number(), unit: z.string().optional(), prefix: z.enum(['metric', 'binary']).optional() }).optional(),
  waived: z.boolean().optional(),
  start_time: timestamp.optional(),
  duration: z.number().optional(),
  output_files: resourceList.optional(),
  misc: misc.optional(),
});

const issueSchema = z.looseObject({ id: z.string().regex(ORIGIN_ID), version: z.int().min(0), origin: z.string().regex(ORIGIN) });
const incidentSchema = z.looseObject({
  id: z.string().regex(ORIGIN_ID),
  origin: z.string().regex(ORIGIN),
  issue_id: z.string().regex(ORIGIN_ID),
  issue_version: z.int().min(0),
});

export const kcidbV4Schema = z.strictObject({
  version: z.strictObject({ major: z.literal(4), minor: z.int().min(0).max(5).optional() }),
  checkouts: z.array(kcidbCheckoutSchema).optional(),
  builds: z.array(kcidbBuildSchema).optional(),
  tests: z.array(kcidbTestSchema).optional(),
  issues: z.array(issueSchema).optional(),
  incidents: z.array(incidentSchema).optional(),
});
