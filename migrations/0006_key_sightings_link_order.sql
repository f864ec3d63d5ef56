-- attributiond schema, version 6: a Stripe customer's key sightings indexed in link order.
--
-- The key a Stripe customer is known by is its best sighting: by priority, then time,
-- then event id. Every customer event asks for it. Version 2's index on
-- stripe_customer_id alone made SQLite sort the customer's sightings for each
-- question; this index holds them in that order already, at the same cost to write.
DROP INDEX fact_key_sightings_customer;
CREATE INDEX fact_key_sightings_link ON fact_key_sightings (stripe_customer_id, priority, at, ref)
    WHERE stripe_customer_id IS NOT NULL;
