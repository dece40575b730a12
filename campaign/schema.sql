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

CREATE TABLE IF NOT EXISTS store.inspections (
    inspection_id BIGINT, inspected_on DATE, site_id INTEGER, site VARCHAR, site_type VARCHAR,
    street VARCHAR, source VARCHAR, problems_found INTEGER, import_id INTEGER DEFAULT 0);

CREATE TABLE IF NOT EXISTS store.problems (
    problem_id VARCHAR, found_on DATE, site_id INTEGER, site VARCHAR, site_type VARCHAR, street VARCHAR,
    department VARCHAR, category VARCHAR, standard_code VARCHAR, description VARCHAR, deduction DOUBLE,
    card VARCHAR, deadline DATE, status VARCHAR, closed_on DATE, source VARCHAR, inspection_id BIGINT,
    import_id INTEGER DEFAULT 0);

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

CREATE OR REPLACE VIEW main.standards AS
    SELECT code, section_code, section, item_code, item, content_code, content, name, method, points,
           site_types, categories, indicator, department, sort_order FROM store.standards;
CREATE OR REPLACE VIEW main.bonus_items AS SELECT code, name, points FROM store.bonus_items;
CREATE OR REPLACE VIEW main.negative_items AS SELECT code, name, deduction, veto FROM store.negative_items;
CREATE OR REPLACE VIEW main.streets AS SELECT street, street_type, population, sort_order FROM store.streets;
CREATE OR REPLACE VIEW main.departments AS SELECT department, dept_type, sort_order FROM store.departments;
CREATE OR REPLACE VIEW main.sites AS SELECT site_id, site, site_type, street, department FROM store.sites;
CREATE OR REPLACE VIEW main.inspections AS
    SELECT inspection_id, inspected_on, site_id, site, site_type, street, source, problems_found
    FROM store.inspections;
CREATE OR REPLACE VIEW main.problems AS
    SELECT problem_id, found_on, site_id, site, site_type, street, department, category, standard_code,
           description, deduction, card, deadline, status, closed_on, source, inspection_id
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
