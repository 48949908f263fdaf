-- The Chinook Platform OLTP schema for PostgreSQL, generated from chinook_platform/lib/contract/.
-- Do not edit: regenerate with `chinook schema-sql > sql/oltp/schema.sql` (a test fails when stale).

CREATE TABLE artist (
	artist_id INTEGER NOT NULL, 
	name VARCHAR(120) NOT NULL, 
	_load_id INTEGER NOT NULL, 
	CONSTRAINT pk_artist PRIMARY KEY (artist_id), 
	CONSTRAINT ck_artist_artist_id CHECK (artist_id > 0)
);

CREATE INDEX ix_artist__load_id ON artist (_load_id);
COMMENT ON TABLE artist IS 'A recording artist.';
COMMENT ON COLUMN artist._load_id IS 'The load_log entry that last inserted or changed this row.';

CREATE TABLE customer (
	customer_id INTEGER NOT NULL, 
	first_name VARCHAR(40) NOT NULL, 
	last_name VARCHAR(20) NOT NULL, 
	company VARCHAR(80), 
	address VARCHAR(70) NOT NULL, 
	city VARCHAR(40) NOT NULL, 
	state VARCHAR(40), 
	country VARCHAR(40) NOT NULL, 
	postal_code VARCHAR(10), 
	phone VARCHAR(24), 
	email VARCHAR(60) NOT NULL, 
	_load_id INTEGER NOT NULL, 
	CONSTRAINT pk_customer PRIMARY KEY (customer_id), 
	CONSTRAINT ck_customer_customer_id CHECK (customer_id > 0)
);

CREATE INDEX ix_customer__load_id ON customer (_load_id);
COMMENT ON TABLE customer IS 'A customer of the store.';
COMMENT ON COLUMN customer._load_id IS 'The load_log entry that last inserted or changed this row.';

CREATE TABLE genre (
	genre_id INTEGER NOT NULL, 
	name VARCHAR(120) NOT NULL, 
	_load_id INTEGER NOT NULL, 
	CONSTRAINT pk_genre PRIMARY KEY (genre_id), 
	CONSTRAINT ck_genre_genre_id CHECK (genre_id > 0)
);

CREATE INDEX ix_genre__load_id ON genre (_load_id);
COMMENT ON TABLE genre IS 'A musical genre.';
COMMENT ON COLUMN genre._load_id IS 'The load_log entry that last inserted or changed this row.';

CREATE TABLE load_log (
	load_id SERIAL NOT NULL, 
	table_name VARCHAR(40) NOT NULL, 
	source_file VARCHAR(1024) NOT NULL, 
	source_version VARCHAR(200), 
	status VARCHAR(20) NOT NULL, 
	error TEXT, 
	rows_read INTEGER DEFAULT '0' NOT NULL, 
	rows_inserted INTEGER DEFAULT '0' NOT NULL, 
	rows_updated INTEGER DEFAULT '0' NOT NULL, 
	rows_unchanged INTEGER DEFAULT '0' NOT NULL, 
	rows_quarantined INTEGER DEFAULT '0' NOT NULL, 
	rows_resolved INTEGER DEFAULT '0' NOT NULL, 
	loaded_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	content_hash VARCHAR(80), 
	content_bytes BIGINT, 
	CONSTRAINT pk_load_log PRIMARY KEY (load_id), 
	CONSTRAINT ck_load_log_status CHECK (status in ('loaded', 'rejected', 'failed', 'unchanged', 'retried'))
);

CREATE INDEX ix_load_log_table_name_content_bytes ON load_log (table_name, content_bytes);
CREATE INDEX ix_load_log_table_name_content_hash ON load_log (table_name, content_hash);
CREATE INDEX ix_load_log_table_name_source ON load_log (table_name, source_file);
COMMENT ON TABLE load_log IS 'One row per attempt to load a landed file (or to retry quarantined rows).';
COMMENT ON COLUMN load_log.source_file IS 'Path or URL of the landed file.';
COMMENT ON COLUMN load_log.source_version IS 'Size and mtime (folder) or ETag (S3) of the file version loaded; null for retries.';
COMMENT ON COLUMN load_log.rows_resolved IS 'Rows taken out of quarantine by this load (their parent has arrived).';
COMMENT ON COLUMN load_log.content_hash IS 'sha256:<hex> of the file''s bytes (or md5:<ETag> on S3); a file with the content of a file already loaded is recorded as unchanged, not loaded again.';
COMMENT ON COLUMN load_log.content_bytes IS 'The file''s size in bytes.';

CREATE TABLE media_type (
	media_type_id INTEGER NOT NULL, 
	name VARCHAR(120) NOT NULL, 
	_load_id INTEGER NOT NULL, 
	CONSTRAINT pk_media_type PRIMARY KEY (media_type_id), 
	CONSTRAINT ck_media_type_media_type_id CHECK (media_type_id > 0)
);

CREATE INDEX ix_media_type__load_id ON media_type (_load_id);
COMMENT ON TABLE media_type IS 'A file format a track is sold in.';
COMMENT ON COLUMN media_type._load_id IS 'The load_log entry that last inserted or changed this row.';

CREATE TABLE album (
	album_id INTEGER NOT NULL, 
	title VARCHAR(160) NOT NULL, 
	artist_id INTEGER NOT NULL, 
	_load_id INTEGER NOT NULL, 
	CONSTRAINT pk_album PRIMARY KEY (album_id), 
	CONSTRAINT ck_album_album_id CHECK (album_id > 0), 
	CONSTRAINT fk_album_artist_id FOREIGN KEY(artist_id) REFERENCES artist (artist_id), 
	CONSTRAINT ck_album_artist_id CHECK (artist_id > 0)
);

CREATE INDEX ix_album__load_id ON album (_load_id);
CREATE INDEX ix_album_artist_id ON album (artist_id);
COMMENT ON TABLE album IS 'An album, released by one artist.';
COMMENT ON COLUMN album._load_id IS 'The load_log entry that last inserted or changed this row.';

CREATE TABLE invoice (
	invoice_id INTEGER NOT NULL, 
	customer_id INTEGER NOT NULL, 
	invoice_date TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	billing_address VARCHAR(70) NOT NULL, 
	billing_city VARCHAR(40) NOT NULL, 
	billing_state VARCHAR(40), 
	billing_country VARCHAR(40) NOT NULL, 
	billing_postal_code VARCHAR(10), 
	total NUMERIC(10, 2) NOT NULL, 
	_load_id INTEGER NOT NULL, 
	CONSTRAINT pk_invoice PRIMARY KEY (invoice_id), 
	CONSTRAINT ck_invoice_invoice_id CHECK (invoice_id > 0), 
	CONSTRAINT fk_invoice_customer_id FOREIGN KEY(customer_id) REFERENCES customer (customer_id), 
	CONSTRAINT ck_invoice_customer_id CHECK (customer_id > 0), 
	CONSTRAINT ck_invoice_total CHECK (total >= 0)
);

CREATE INDEX ix_invoice__load_id ON invoice (_load_id);
CREATE INDEX ix_invoice_customer_id ON invoice (customer_id);
COMMENT ON TABLE invoice IS 'An invoice: one purchase by one customer; its total is the sum of its lines.';
COMMENT ON COLUMN invoice._load_id IS 'The load_log entry that last inserted or changed this row.';

CREATE TABLE quarantine (
	quarantine_id SERIAL NOT NULL, 
	table_name VARCHAR(40) NOT NULL, 
	source_file VARCHAR(1024) NOT NULL, 
	line_number INTEGER, 
	column_name VARCHAR(60), 
	reason TEXT NOT NULL, 
	raw_row TEXT NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	load_id INTEGER NOT NULL, 
	resolved_load_id INTEGER, 
	CONSTRAINT pk_quarantine PRIMARY KEY (quarantine_id), 
	CONSTRAINT ck_quarantine_status CHECK (status in ('rejected', 'awaiting_parent', 'resolved', 'superseded')), 
	CONSTRAINT fk_quarantine_load_id FOREIGN KEY(load_id) REFERENCES load_log (load_id), 
	CONSTRAINT fk_quarantine_resolved_load_id FOREIGN KEY(resolved_load_id) REFERENCES load_log (load_id)
);

CREATE INDEX ix_quarantine_table_name_status ON quarantine (table_name, status);
COMMENT ON TABLE quarantine IS 'Rows that failed validation. ''awaiting_parent'' rows are retried on every load of their table and become ''resolved'' once their parent exists, or ''superseded'' when a newer file loaded their key.';
COMMENT ON COLUMN quarantine.line_number IS 'Physical line in the file; header is 1.';
COMMENT ON COLUMN quarantine.column_name IS 'The first column at fault, if any.';
COMMENT ON COLUMN quarantine.raw_row IS 'The row as read, a JSON object or the raw text.';

CREATE TABLE track (
	track_id INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	album_id INTEGER NOT NULL, 
	media_type_id INTEGER NOT NULL, 
	genre_id INTEGER NOT NULL, 
	composer VARCHAR(220), 
	milliseconds INTEGER NOT NULL, 
	unit_price NUMERIC(10, 2) NOT NULL, 
	_load_id INTEGER NOT NULL, 
	CONSTRAINT pk_track PRIMARY KEY (track_id), 
	CONSTRAINT ck_track_track_id CHECK (track_id > 0), 
	CONSTRAINT fk_track_album_id FOREIGN KEY(album_id) REFERENCES album (album_id), 
	CONSTRAINT ck_track_album_id CHECK (album_id > 0), 
	CONSTRAINT fk_track_media_type_id FOREIGN KEY(media_type_id) REFERENCES media_type (media_type_id), 
	CONSTRAINT ck_track_media_type_id CHECK (media_type_id > 0), 
	CONSTRAINT fk_track_genre_id FOREIGN KEY(genre_id) REFERENCES genre (genre_id), 
	CONSTRAINT ck_track_genre_id CHECK (genre_id > 0), 
	CONSTRAINT ck_track_milliseconds CHECK (milliseconds > 0), 
	CONSTRAINT ck_track_unit_price CHECK (unit_price >= 0)
);

CREATE INDEX ix_track__load_id ON track (_load_id);
CREATE INDEX ix_track_album_id ON track (album_id);
CREATE INDEX ix_track_genre_id ON track (genre_id);
CREATE INDEX ix_track_media_type_id ON track (media_type_id);
COMMENT ON TABLE track IS 'A track for sale: on one album, in one genre and one media type.';
COMMENT ON COLUMN track._load_id IS 'The load_log entry that last inserted or changed this row.';

CREATE TABLE invoice_line (
	invoice_line_id INTEGER NOT NULL, 
	invoice_id INTEGER NOT NULL, 
	track_id INTEGER NOT NULL, 
	unit_price NUMERIC(10, 2) NOT NULL, 
	quantity INTEGER NOT NULL, 
	_load_id INTEGER NOT NULL, 
	CONSTRAINT pk_invoice_line PRIMARY KEY (invoice_line_id), 
	CONSTRAINT ck_invoice_line_invoice_line_id CHECK (invoice_line_id > 0), 
	CONSTRAINT fk_invoice_line_invoice_id FOREIGN KEY(invoice_id) REFERENCES invoice (invoice_id), 
	CONSTRAINT ck_invoice_line_invoice_id CHECK (invoice_id > 0), 
	CONSTRAINT fk_invoice_line_track_id FOREIGN KEY(track_id) REFERENCES track (track_id), 
	CONSTRAINT ck_invoice_line_track_id CHECK (track_id > 0), 
	CONSTRAINT ck_invoice_line_unit_price CHECK (unit_price >= 0), 
	CONSTRAINT ck_invoice_line_quantity CHECK (quantity > 0)
);

CREATE INDEX ix_invoice_line__load_id ON invoice_line (_load_id);
CREATE INDEX ix_invoice_line_invoice_id ON invoice_line (invoice_id);
CREATE INDEX ix_invoice_line_track_id ON invoice_line (track_id);
COMMENT ON TABLE invoice_line IS 'One line of an invoice: a track bought at a unit price and quantity.';
COMMENT ON COLUMN invoice_line._load_id IS 'The load_log entry that last inserted or changed this row.';
