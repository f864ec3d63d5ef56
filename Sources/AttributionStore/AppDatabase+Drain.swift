import AttributionCore

extension AppDatabase {
    /// Applies due events batch after batch until fewer than a full batch remain.
    ///
    /// While one batch is written, the next is read and parsed on another
    /// thread (a read snapshot, continuing after the batch's last event), so on
    /// two cores parsing costs the writer nothing. The projector is
    /// order-independent, and `apply` re-checks each event inside its
    /// transaction, so reading ahead cannot apply an event twice.
    ///
    /// `beforeBatch` runs before each write (the daemon uses it to let the
    /// intake go first); `afterBatch` gets each result and its duration.
    public func drainDue(batchSize: Int, settings: ApplySettings, retry: RetryPolicy, now: @escaping @Sendable () -> Int64,
                         pressure: IntakePressure? = nil, beforeBatch: () async -> Void = {},
                         afterBatch: (BatchResult, Duration) -> Void = { _, _ in }) async throws(StoreError) {
        var next = readAhead(limit: batchSize, now: now, after: -1)
        defer { next.cancel() }
        while !Task.isCancelled {
            let batch = try await next.value.get()
            guard batch.count > 0 else { return }
            await beforeBatch()
            next = readAhead(limit: batchSize, now: now, after: batch.lastSeq ?? -1)
            let start = ContinuousClock.now
            let result = try await apply(batch, settings: settings, retry: retry, now: now(), pressure: pressure)
            afterBatch(result, ContinuousClock.now - start)
            if result.yielded {
                // The events after the yield point are still due: start again from the oldest.
                next.cancel()
                next = readAhead(limit: batchSize, now: now, after: -1)
            } else if batch.count < batchSize {
                return
            }
        }
    }

    private func readAhead(limit: Int, now: @escaping @Sendable () -> Int64,
                           after seq: Int64) -> Task<Result<DueBatch, StoreError>, Never> {
        Task {
            do throws(StoreError) { return .success(try await readDue(limit: limit, now: now(), after: seq)) }
            catch { return .failure(error) }
        }
    }
}
