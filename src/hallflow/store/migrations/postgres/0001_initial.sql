-- hallflow PostgreSQL store, schema version 1: events with their hash chain, the case
-- projection (with the supervision sweep's columns), idempotency keys and the hall chain.
-- Applied by hallflow.store.postgres inside one transaction, with search_path set to the
-- store's schema and an advisory lock held, so several processes opening at once apply it
-- once. Text columns use the "C" collation: order is code-point order, as in SQLite and in
-- Python, so keyset reads and sorted answers agree between stores.

CREATE TABLE events (
    case_id     text COLLATE "C" NOT NULL,
    seq         integer          NOT NULL CHECK (seq >= 1),
    kind        text COLLATE "C" NOT NULL,
    actor       text COLLATE "C" NOT NULL,
    at_utc      text COLLATE "C" NOT NULL,
    at_tz       text COLLATE "C" NOT NULL,
    "schema"    integer          NOT NULL DEFAULT 1,
    payload     text             NOT NULL,
    recorded_at text COLLATE "C" NOT NULL,
    digest      text COLLATE "C" NOT NULL,
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE cases (
    case_id   text COLLATE "C" NOT NULL PRIMARY KEY,
    matter    text COLLATE "C" NOT NULL,
    applicant text COLLATE "C" NOT NULL,
    "window"  text COLLATE "C" NOT NULL,
    state     text COLLATE "C" NOT NULL,
    due_utc   text COLLATE "C",
    due_tz    text COLLATE "C",
    clocks    bytea,
    swept     bytea,
    version   integer          NOT NULL CHECK (version >= 1),
    head      text COLLATE "C" NOT NULL
);

CREATE INDEX cases_matter ON cases (matter);
CREATE INDEX cases_applicant ON cases (applicant);
CREATE INDEX cases_window ON cases ("window");
CREATE INDEX cases_state ON cases (state);
CREATE INDEX cases_due ON cases (due_utc) WHERE due_utc IS NOT NULL;

CREATE TABLE idempotency (
    case_id      text COLLATE "C" NOT NULL,
    key          text COLLATE "C" NOT NULL,
    request_hash text COLLATE "C" NOT NULL,
    version      integer          NOT NULL,
    PRIMARY KEY (case_id, key)
);

CREATE TABLE chain (
    position bigint           NOT NULL PRIMARY KEY,
    case_id  text COLLATE "C" NOT NULL,
    version  integer          NOT NULL,
    head     text COLLATE "C" NOT NULL,
    link     text COLLATE "C" NOT NULL
);

CREATE INDEX chain_case ON chain (case_id, position);
