-- Storage tables live in schema "store"; everything else reads the views in "main" (docs/data-contract.md).
CREATE SCHEMA IF NOT EXISTS store;

CREATE TABLE IF NOT EXISTS store.meta (key VARCHAR PRIMARY KEY, value VARCHAR);

CREATE TABLE IF NOT EXISTS store.standards (
    code VARCHAR PRIMARY KEY, section_code VARCHAR, section VARCHAR, item_code VARCHAR, item VARCHAR,
    content_code VARCHAR, content VARCHAR, name VARCHAR, method VARCHAR, points DOUBLE,
    site_types VARCHAR[], categories VARCHAR[], indicator VARCHAR, department VARCHAR, sort_order INTEGER);
CREATE TABLE IF NOT EXISTS store.bonus_items (code VARCHAR PRIMARY KEY, name VARCHAR, points DOUBLE);
CREATE TABLE IF NOT EXISTS store.negative_items (code VARCHAR PRIMARY KEY, name VARCHAR, deduction DOUBLE, veto BOOLEAN);

CREATE TABLE IF NOT EXISTS store.streets (street VARCHAR PRIMARY KEY, street_type VARCHAR, population INTEGER, sort_order INTEGER);
CREATE TABLE IF NOT EXISTS store.departments (department VARCHAR PRIMARY KEY, dept_type VARCHAR, sort_order INTEGER);
CREATE TABLE IF NOT EXISTS store.sites (
    site_id INTEGER PRIMARY KEY, site VARCHAR, site_type VARCHAR, street VARCHAR, department VARCHAR);
-- 经度/纬度 (degrees) of a site, when the office has them: the readiness forecast's 六个周边 rule (campaign/forecast.py)
ALTER TABLE store.sites ADD COLUMN IF NOT EXISTS lon DOUBLE;
ALTER TABLE store.sites ADD COLUMN IF NOT EXISTS lat DOUBLE;

CREATE TABLE IF NOT EXISTS store.inspections (
    inspection_id BIGINT, inspected_on DATE, site_id INTEGER, site VARCHAR, site_type VARCHAR,
    street VARCHAR, source VARCHAR, problems_found INTEGER, import_id INTEGER DEFAULT 0);

CREATE TABLE IF NOT EXISTS store.problems (
    problem_id VARCHAR, found_on DATE, site_id INTEGER, site VARCHAR, site_type VARCHAR, street VARCHAR,
    department VARCHAR, category VARCHAR, standard_code VARCHAR, description VARCHAR, deduction DOUBLE,
    card VARCHAR, deadline DATE, status VARCHAR, closed_on DATE, source VARCHAR, inspection_id BIGINT,
    import_id INTEGER DEFAULT 0);
-- Columns added for real exports (docs/data-contract.md); stores made before them get them here.
ALTER TABLE store.problems ADD COLUMN IF NOT EXISTS ledger_no VARCHAR;
ALTER TABLE store.problems ADD COLUMN IF NOT EXISTS lead_department VARCHAR;
ALTER TABLE store.problems ADD COLUMN IF NOT EXISTS responsible_units VARCHAR[];
ALTER TABLE store.problems ADD COLUMN IF NOT EXISTS subcategory VARCHAR;
ALTER TABLE store.problems ADD COLUMN IF NOT EXISTS community VARCHAR;
ALTER TABLE store.problems ADD COLUMN IF NOT EXISTS address VARCHAR;
ALTER TABLE store.problems ADD COLUMN IF NOT EXISTS rebound BOOLEAN;
ALTER TABLE store.problems ADD COLUMN IF NOT EXISTS result VARCHAR;
ALTER TABLE store.problems ADD COLUMN IF NOT EXISTS photos_before VARCHAR;
ALTER TABLE store.problems ADD COLUMN IF NOT EXISTS photos_after VARCHAR;
ALTER TABLE store.problems ADD COLUMN IF NOT EXISTS note VARCHAR;
ALTER TABLE store.problems ADD COLUMN IF NOT EXISTS deadline_at TIMESTAMP;
ALTER TABLE store.problems ADD COLUMN IF NOT EXISTS closed_seen_on DATE;
ALTER TABLE store.problems ADD COLUMN IF NOT EXISTS reported_overdue BOOLEAN;
ALTER TABLE store.problems ADD COLUMN IF NOT EXISTS extensions INTEGER;
ALTER TABLE store.problems ADD COLUMN IF NOT EXISTS reworks INTEGER;

CREATE TABLE IF NOT EXISTS store.assessment_rounds (
    round_id INTEGER PRIMARY KEY, round_name VARCHAR, assessor VARCHAR, held_on DATE, year INTEGER);
CREATE TABLE IF NOT EXISTS store.assessment_scores (
    round_id INTEGER, standard_code VARCHAR, site_id INTEGER, site VARCHAR, site_type VARCHAR,
    street VARCHAR, department VARCHAR, score DOUBLE, max_score DOUBLE, import_id INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS store.survey_rates (
    round_id INTEGER, street VARCHAR, indicator VARCHAR, rate DOUBLE, respondents INTEGER, import_id INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS store.peer_scores (round_id INTEGER, peer VARCHAR, total DOUBLE, import_id INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS store.bonus_awards (round_id INTEGER, code VARCHAR, points DOUBLE, note VARCHAR);
CREATE TABLE IF NOT EXISTS store.negative_events (
    round_id INTEGER, code VARCHAR, occurred_on DATE, deduction DOUBLE, veto BOOLEAN, note VARCHAR);

-- The framework a standard belongs to (city / minors: 未成年人思想道德建设), every method that checks it and the kind
-- of its scoring method (field / material / survey / opinion), from data/framework.yaml.
ALTER TABLE store.standards ADD COLUMN IF NOT EXISTS framework VARCHAR;
ALTER TABLE store.standards ADD COLUMN IF NOT EXISTS methods VARCHAR[];
ALTER TABLE store.standards ADD COLUMN IF NOT EXISTS method_kind VARCHAR;
CREATE OR REPLACE VIEW main.standards AS
    SELECT code, section_code, section, item_code, item, content_code, content, name, method, points,
           site_types, categories, indicator, department, sort_order, coalesce(framework, 'city') AS framework,
           coalesce(methods, [method]) AS methods,
           coalesce(method_kind, CASE method WHEN '实地考察' THEN 'field' WHEN '问卷调查' THEN 'survey'
                                              ELSE 'material' END) AS method_kind
    FROM store.standards;
CREATE OR REPLACE VIEW main.bonus_items AS SELECT code, name, points FROM store.bonus_items;
-- Negative-list sanctions (data/framework.yaml): 扣分 / 暂停提名资格 / 暂停称号一年 / 撤销称号, the months before a
-- test in which an event counts, the unit owning the risk and the sanction when the event falls before applying.
ALTER TABLE store.negative_items ADD COLUMN IF NOT EXISTS sanction VARCHAR;
ALTER TABLE store.negative_items ADD COLUMN IF NOT EXISTS window_months INTEGER;
ALTER TABLE store.negative_items ADD COLUMN IF NOT EXISTS department VARCHAR;
ALTER TABLE store.negative_items ADD COLUMN IF NOT EXISTS when_applying VARCHAR;
CREATE OR REPLACE VIEW main.negative_items AS
    SELECT code, name, deduction, veto,
           coalesce(sanction, CASE WHEN veto THEN '暂停提名资格' ELSE '扣分' END) AS sanction,
           coalesce(window_months, 12) AS window_months, department, when_applying
    FROM store.negative_items;
CREATE OR REPLACE VIEW main.streets AS SELECT street, street_type, population, sort_order FROM store.streets;
CREATE OR REPLACE VIEW main.departments AS SELECT department, dept_type, sort_order FROM store.departments;
CREATE OR REPLACE VIEW main.sites AS SELECT site_id, site, site_type, street, department, lon, lat FROM store.sites;
CREATE OR REPLACE VIEW main.inspections AS
    SELECT inspection_id, inspected_on, site_id, site, site_type, street, source, problems_found
    FROM store.inspections;
CREATE OR REPLACE VIEW main.problems AS
    SELECT problem_id, found_on, site_id, site, site_type, street, department, category, standard_code,
           description, deduction, card, deadline, status, closed_on, source, inspection_id,
           coalesce(ledger_no, CASE WHEN NOT regexp_full_match(problem_id, 'H[0-9a-f]{15}') THEN problem_id END)
               AS ledger_no, lead_department, coalesce(responsible_units, [department]) AS responsible_units,
           subcategory, community, address, rebound, result, photos_before, photos_after, note, deadline_at,
           coalesce(status IN ('已整改', '已销号'), false) AS is_closed,
           closed_on IS NOT NULL OR status NOT IN ('已整改', '已销号') AS closed_on_known,
           coalesce(closed_on, CASE WHEN status IN ('已整改', '已销号') THEN closed_seen_on END) AS closed_by,
           reported_overdue, extensions, reworks
    FROM store.problems;
CREATE OR REPLACE VIEW main.assessment_rounds AS
    SELECT round_id, round_name, assessor, held_on, year FROM store.assessment_rounds;
CREATE OR REPLACE VIEW main.assessment_scores AS
    SELECT round_id, standard_code, site_id, site, site_type, street, department, score, max_score
    FROM store.assessment_scores;
CREATE OR REPLACE VIEW main.survey_rates AS
    SELECT round_id, street, indicator, rate, respondents FROM store.survey_rates;
CREATE OR REPLACE VIEW main.peer_scores AS SELECT round_id, peer, total FROM store.peer_scores;
CREATE OR REPLACE VIEW main.bonus_awards AS
    SELECT a.round_id, a.code, coalesce(b.name, a.note) AS name, a.points
    FROM store.bonus_awards a LEFT JOIN store.bonus_items b USING (code);
CREATE OR REPLACE VIEW main.negative_events AS
    SELECT e.round_id, e.code, coalesce(n.name, e.note) AS name, e.occurred_on, e.deduction, e.veto
    FROM store.negative_events e LEFT JOIN store.negative_items n USING (code);

-- Negative-list events the office reports (负面清单事件登记) with their date and the unit concerned, by whom and when;
-- one counts against every test held within its item's window_months after it (queries/negatives_by_round.sql).
CREATE TABLE IF NOT EXISTS store.negative_reports (
    report_id INTEGER, code VARCHAR, occurred_on DATE, unit VARCHAR, note VARCHAR, entered_at TIMESTAMP,
    entered_by VARCHAR);
-- Events imported from a 负面清单事项报送台账 (campaign/ingest, kind negatives) carry their import (0: entered on the
-- page), the file's 来源 and 报送人; one event is (code, occurred_on, unit): importing it again adds nothing.
ALTER TABLE store.negative_reports ADD COLUMN IF NOT EXISTS info_source VARCHAR;
ALTER TABLE store.negative_reports ADD COLUMN IF NOT EXISTS reporter VARCHAR;
ALTER TABLE store.negative_reports ADD COLUMN IF NOT EXISTS import_id INTEGER DEFAULT 0;
CREATE TABLE IF NOT EXISTS store.negative_report_versions (
    report_id INTEGER, code VARCHAR, occurred_on DATE, unit VARCHAR, note VARCHAR, entered_at TIMESTAMP,
    entered_by VARCHAR, info_source VARCHAR, reporter VARCHAR, import_id INTEGER, superseded_by INTEGER,
    superseded_at TIMESTAMP);
CREATE OR REPLACE VIEW main.negative_reports AS
    SELECT r.report_id, r.code, n.name, r.occurred_on, r.unit, r.note, r.entered_at, r.entered_by, r.info_source,
           r.reporter, coalesce(r.import_id, 0) AS import_id
    FROM store.negative_reports r LEFT JOIN store.negative_items n USING (code);

-- Imports (campaign/ingest). Every committed import is one row of import_log; rows it wrote carry its
-- import_id; a row it changed is first copied to the matching *_versions table (superseded_by = the import),
-- which is both the history and what undo restores. import_created lists the streets, departments, sites and
-- rounds an import added (removed on undo when nothing refers to them any more).
CREATE TABLE IF NOT EXISTS store.import_log (
    import_id INTEGER PRIMARY KEY, file_name VARCHAR, file_hash VARCHAR, kind VARCHAR, imported_at TIMESTAMP,
    imported_by VARCHAR, rows_read INTEGER, accepted INTEGER, updated INTEGER, unchanged INTEGER,
    duplicates INTEGER, quarantined INTEGER, skipped INTEGER, details VARCHAR,
    undone_at TIMESTAMP, undone_by VARCHAR);
CREATE TABLE IF NOT EXISTS store.import_quarantine (
    import_id INTEGER, sheet VARCHAR, row_number INTEGER, column_name VARCHAR, value VARCHAR, reason VARCHAR);
CREATE TABLE IF NOT EXISTS store.import_created (import_id INTEGER, entity VARCHAR, key VARCHAR);
CREATE TABLE IF NOT EXISTS store.name_aliases (
    entity VARCHAR, name VARCHAR, canonical VARCHAR, decided_at TIMESTAMP, decided_by VARCHAR,
    PRIMARY KEY (entity, name));
CREATE TABLE IF NOT EXISTS store.problem_versions (
    problem_id VARCHAR, found_on DATE, site_id INTEGER, site VARCHAR, site_type VARCHAR, street VARCHAR,
    department VARCHAR, category VARCHAR, standard_code VARCHAR, description VARCHAR, deduction DOUBLE,
    card VARCHAR, deadline DATE, status VARCHAR, closed_on DATE, source VARCHAR, inspection_id BIGINT,
    import_id INTEGER, superseded_by INTEGER, superseded_at TIMESTAMP);
ALTER TABLE store.problem_versions ADD COLUMN IF NOT EXISTS ledger_no VARCHAR;
ALTER TABLE store.problem_versions ADD COLUMN IF NOT EXISTS lead_department VARCHAR;
ALTER TABLE store.problem_versions ADD COLUMN IF NOT EXISTS responsible_units VARCHAR[];
ALTER TABLE store.problem_versions ADD COLUMN IF NOT EXISTS subcategory VARCHAR;
ALTER TABLE store.problem_versions ADD COLUMN IF NOT EXISTS community VARCHAR;
ALTER TABLE store.problem_versions ADD COLUMN IF NOT EXISTS address VARCHAR;
ALTER TABLE store.problem_versions ADD COLUMN IF NOT EXISTS rebound BOOLEAN;
ALTER TABLE store.problem_versions ADD COLUMN IF NOT EXISTS result VARCHAR;
ALTER TABLE store.problem_versions ADD COLUMN IF NOT EXISTS photos_before VARCHAR;
ALTER TABLE store.problem_versions ADD COLUMN IF NOT EXISTS photos_after VARCHAR;
ALTER TABLE store.problem_versions ADD COLUMN IF NOT EXISTS note VARCHAR;
ALTER TABLE store.problem_versions ADD COLUMN IF NOT EXISTS deadline_at TIMESTAMP;
ALTER TABLE store.problem_versions ADD COLUMN IF NOT EXISTS closed_seen_on DATE;
ALTER TABLE store.problem_versions ADD COLUMN IF NOT EXISTS reported_overdue BOOLEAN;
ALTER TABLE store.problem_versions ADD COLUMN IF NOT EXISTS extensions INTEGER;
ALTER TABLE store.problem_versions ADD COLUMN IF NOT EXISTS reworks INTEGER;
CREATE TABLE IF NOT EXISTS store.assessment_score_versions (
    round_id INTEGER, standard_code VARCHAR, site_id INTEGER, site VARCHAR, site_type VARCHAR,
    street VARCHAR, department VARCHAR, score DOUBLE, max_score DOUBLE, import_id INTEGER,
    superseded_by INTEGER, superseded_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS store.survey_rate_versions (
    round_id INTEGER, street VARCHAR, indicator VARCHAR, rate DOUBLE, respondents INTEGER, import_id INTEGER,
    superseded_by INTEGER, superseded_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS store.peer_score_versions (
    round_id INTEGER, peer VARCHAR, total DOUBLE, import_id INTEGER, superseded_by INTEGER, superseded_at TIMESTAMP);

CREATE OR REPLACE VIEW main.import_log AS
    SELECT import_id, file_name, file_hash, kind, imported_at, imported_by, rows_read, accepted, updated,
           unchanged, duplicates, quarantined, skipped, undone_at, undone_by
    FROM store.import_log;
CREATE OR REPLACE VIEW main.problem_history AS
    SELECT v.problem_id, v.import_id, l.imported_at, v.status, v.closed_on, v.deadline, v.card, v.deduction,
           v.department, v.superseded_at, false AS is_current
    FROM store.problem_versions v LEFT JOIN store.import_log l ON l.import_id = v.import_id
    UNION ALL
    SELECT p.problem_id, p.import_id, l.imported_at, p.status, p.closed_on, p.deadline, p.card, p.deduction,
           p.department, NULL::TIMESTAMP, true
    FROM store.problems p LEFT JOIN store.import_log l ON l.import_id = p.import_id;

-- What-if scenarios (推演方案) saved by name. settings is JSON text: a list of {"key": KEY, "rate": RATE} and
-- {"fix": KEY} objects (the same scenario the page's share link carries as KEY=RATE;fix:KEY text).
CREATE TABLE IF NOT EXISTS store.scenarios (
    name VARCHAR PRIMARY KEY, settings VARCHAR, created_at TIMESTAMP, created_by VARCHAR);
CREATE OR REPLACE VIEW main.scenarios AS SELECT name, settings, created_at, created_by FROM store.scenarios;

-- Published rankings (发布排名): what the office published for a week, kept as it was published; publishing the
-- same week and unit kind again adds a new version (the latest one is the one in force).
CREATE TABLE IF NOT EXISTS store.published_rankings (
    unit_kind VARCHAR, period_start DATE, period_end DATE, version INTEGER, published_at TIMESTAMP,
    published_by VARCHAR, round_name VARCHAR, rank INTEGER, unit VARCHAR, total DOUBLE, change INTEGER,
    flag VARCHAR);
-- Added with the office's list rules (data/ranking_index.yaml): the value the lists were decided on, the list
-- names, the rule in words, whether the unit was called in for a talk (约谈) and whether its change since the week
-- before lay within its own noise (变化在正常波动范围内).
ALTER TABLE store.published_rankings ADD COLUMN IF NOT EXISTS list_value DOUBLE;
ALTER TABLE store.published_rankings ADD COLUMN IF NOT EXISTS red_name VARCHAR;
ALTER TABLE store.published_rankings ADD COLUMN IF NOT EXISTS low_name VARCHAR;
ALTER TABLE store.published_rankings ADD COLUMN IF NOT EXISTS list_rule VARCHAR;
ALTER TABLE store.published_rankings ADD COLUMN IF NOT EXISTS talk VARCHAR;
ALTER TABLE store.published_rankings ADD COLUMN IF NOT EXISTS steady BOOLEAN;
CREATE OR REPLACE VIEW main.published_rankings AS
    SELECT unit_kind, period_start, period_end, version, published_at, published_by, round_name, rank, unit, total,
           change, flag, list_value, red_name, low_name, list_rule, talk, steady
    FROM store.published_rankings;

-- Points the office enters by hand for a ranking part (data/ranking_index.yaml, measure: entered, e.g. 工作台账
-- 30 points), per unit kind, unit, week and part, with who entered them and when. Entering again adds a row;
-- the view shows the entry in force (the latest).
CREATE TABLE IF NOT EXISTS store.ranking_entries (
    unit_kind VARCHAR, unit VARCHAR, period_start DATE, period_end DATE, part VARCHAR, points DOUBLE,
    entered_at TIMESTAMP, entered_by VARCHAR);
CREATE OR REPLACE VIEW main.ranking_entries AS
    SELECT unit_kind, unit, period_start, period_end, part, points, entered_at, entered_by
    FROM store.ranking_entries
    QUALIFY row_number() OVER (PARTITION BY unit_kind, unit, period_start, period_end, part
                               ORDER BY entered_at DESC) = 1;

-- Each unit of a problem with its share of the problem (docs/data-contract.md): the attribution rule is the
-- office's setting (office.yaml unit_attribution, kept in store.meta as unit_attribution): lead = the lead unit
-- (牵头单位) alone, else the first responsible unit; first = the first responsible unit; shared = every
-- responsible unit an equal share (the import keeps each unit once, in the order written). Shares of one
-- problem add up to 1.
CREATE OR REPLACE VIEW main.problem_units AS
    WITH rule AS (SELECT coalesce((SELECT value FROM store.meta WHERE key = 'unit_attribution'), 'first') AS r),
    units AS (  -- only problems with several units or a lead unit are unnested; the rest have one unit, wholly
        SELECT problem_id, lead_department, len(l) AS n, unnest(l) AS unit, unnest(range(1, len(l) + 1)) AS pos
        FROM (SELECT problem_id, lead_department, coalesce(responsible_units, [department]) AS l
              FROM store.problems WHERE responsible_units IS NOT NULL OR lead_department IS NOT NULL)
    )
    SELECT problem_id, department, 'responsible' AS role, 1.0 AS share
    FROM store.problems
    WHERE responsible_units IS NULL AND lead_department IS NULL AND department IS NOT NULL
    UNION ALL
    SELECT problem_id, unit, 'responsible',
           CASE (SELECT r FROM rule) WHEN 'shared' THEN 1.0 / n
                WHEN 'lead' THEN CASE WHEN lead_department IS NULL AND pos = 1 THEN 1.0 ELSE 0.0 END
                ELSE CASE WHEN pos = 1 THEN 1.0 ELSE 0.0 END END
    FROM units WHERE unit IS NOT NULL
    UNION ALL
    SELECT problem_id, lead_department, 'lead',
           CASE WHEN (SELECT r FROM rule) = 'lead' THEN 1.0 ELSE 0.0 END
    FROM store.problems WHERE lead_department IS NOT NULL;

-- Import profiles (导入配置): how the office mapped one header set once (columns → fields, unknown values → our
-- words), so that the next file with the same headers goes in with no questions. spec is JSON text: {"kind",
-- "source", "headers": [...], "columns": {header: field or ""}, "values": {field: {written: canonical}}}.
CREATE TABLE IF NOT EXISTS store.import_profiles (
    name VARCHAR PRIMARY KEY, kind VARCHAR, header_key VARCHAR, spec VARCHAR, created_at TIMESTAMP,
    created_by VARCHAR, updated_at TIMESTAMP);
CREATE OR REPLACE VIEW main.import_profiles AS
    SELECT name, kind, header_key, spec, created_at, created_by, updated_at FROM store.import_profiles;

-- Street totals as a third-party assessment report states them (街道排名 sheet), kept beside the scores the
-- dashboard computes from the report's detail rows, so that the two can be compared (得分趋势 page).
CREATE TABLE IF NOT EXISTS store.report_street_scores (
    round_id INTEGER, street VARCHAR, max_score DOUBLE, score DOUBLE, pass_rate DOUBLE, rank INTEGER,
    import_id INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS store.report_street_score_versions (
    round_id INTEGER, street VARCHAR, max_score DOUBLE, score DOUBLE, pass_rate DOUBLE, rank INTEGER,
    import_id INTEGER, superseded_by INTEGER, superseded_at TIMESTAMP);
CREATE OR REPLACE VIEW main.report_street_scores AS
    SELECT round_id, street, max_score, score, pass_rate, rank FROM store.report_street_scores;
-- signed-in browsers: a random token kept in a cookie, stored here only as its SHA-256, with its expiry and a
-- fingerprint of the password it was issued under (a changed password ends every session of that account)
CREATE TABLE IF NOT EXISTS store.login_sessions (
    token_hash VARCHAR PRIMARY KEY, user_name VARCHAR, password_fp VARCHAR, created_at TIMESTAMP,
    expires_at TIMESTAMP);
