import AttributionCore

extension AppDatabase {
    /// Applies due events batch after batch until fewer than a full batch remain.
    ///
    /// While one batch is written, the next is read and parsed on another
    /// thread (a read snapshot, continuing after the batch's last event), so on
    /// two cores parsing costs the writer nothing. It does not read ahead while
    /// webhooks keep arriving: in a burst the CPU goes to them. The projector is
    /// order-independent, and `apply` re-checks each event inside its
    /// transaction, so reading ahead cannot apply an event twice.
    ///
    /// `beforeBatch` runs before each write (the daemon uses it to let the
    /// intake go first); `afterBatch` gets each result and its duration.
    public func drainDue(batchSize: Int, settings: ApplySettings, retry: RetryPolicy, now: @escaping @Sendable () -> Int64,
                         pressure: IntakePressure? = nil, beforeBatch: () async -> Void = {},
                         afterBatch: (BatchResult, Duration) -> Void = { _, _ in }) async throws(StoreError) {
        var ahead: Task<Result<DueBatch, StoreError>, Never>? = readAhead(limit: batchSize, now: now, after: -1)
        var after: Int64 = -1
        defer { ahead?.cancel() }
        while !Task.isCancelled {
            let batch = try await (ahead ?? readAhead(limit: batchSize, now: now, after: after)).value.get()
            ahead = nil
            guard batch.count > 0 else { return }
            await beforeBatch()
            after = batch.lastSeq ?? after
            // Only while the intake is quiet: during a burst of webhooks the other core serves them.
            if pressure?.isQuiet(forMilliseconds: 200) ?? true {
                ahead = readAhead(limit: batchSize, now: now, after: after)
            }
            let start = ContinuousClock.now
            let result = try await apply(batch, settings: settings, retry: retry, now: now(), pressure: pressure)
            afterBatch(result, ContinuousClock.now - start)
            if result.yielded {
                // The events after the yield point are still due: start again from the oldest.
                ahead?.cancel()
                ahead = nil
                after = -1
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
