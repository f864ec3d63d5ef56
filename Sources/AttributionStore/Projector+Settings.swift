import AttributionCore

extension Projector {
    /// Records derivation settings: the latest by (created, event id) holds,
    /// whatever order the settings events are applied in.
    ///
    /// The settings change what every table means, but this does not re-derive
    /// anything: `settings set` rebuilds all tables right after recording the
    /// event, and a rebuild replays this event with the rest.
    func applySettings(_ s: LocalEvent.Settings, version: EventVersion) throws {
        try db.run(
            """
            INSERT INTO derivation_settings (id, transaction_source, partial_refunds, v_created, v_event)
            VALUES (1, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                transaction_source = excluded.transaction_source, partial_refunds = excluded.partial_refunds,
                v_created = excluded.v_created, v_event = excluded.v_event
            WHERE (excluded.v_created, excluded.v_event) > (v_created, v_event)
            """, s.transactionSource, s.partialRefunds, version.created, version.eventId)
    }
}
