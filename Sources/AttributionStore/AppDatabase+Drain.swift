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
    /// While webhooks keep arriving (`pressure` not quiet), the CPU goes to them:
    /// no reading ahead, and batches of `minimum` events, the most `apply`
    /// takes before it yields to the intake, so nothing is parsed in vain.
    ///
    /// `beforeBatch` runs before each batch (the daemon uses it to let the
    /// intake go first); `afterBatch` gets each result and its duration.
    ///
    /// `settings` apply only while the database records none (see `recordedSettings`).
    ///
    /// `shouldStop` is asked before each batch: once it says yes the drain
    /// returns, leaving the rest due. Graceful shutdown does not cancel the
    /// worker's task (it only ends its wake-up stream), so `Task.isCancelled`
    /// alone let one drain run on through the whole backlog after SIGTERM,
    /// past systemd's stop timeout.
    public func drainDue(
        batchSize: Int, minimum: Int = 16, settings: ApplySettings, retry: RetryPolicy,
        now: @escaping @Sendable () -> Int64, pressure: IntakePressure? = nil,
        shouldStop: () -> Bool = { false },
        beforeBatch: () async -> Void = {},
        afterBatch: (BatchResult, Duration) -> Void = { _, _ in }
    ) async throws(StoreError) {
        // Settings recorded in the database win over the caller's: they are what the tables mean.
        let recorded = try recordedSettings()
        let settings = recorded.eventId == nil ? settings : recorded.apply
        var ahead: (task: Task<Result<DueBatch, StoreError>, Never>, limit: Int)?
        var after: Int64 = -1
        defer { ahead?.task.cancel() }
        while !Task.isCancelled && !shouldStop() {
            await beforeBatch()
            if shouldStop() { return }
            let quiet = pressure?.isQuiet(forMilliseconds: 200) ?? true
            let limit = ahead?.limit ?? (quiet ? batchSize : min(minimum, batchSize))
            let batch = try await (ahead?.task ?? readAhead(limit: limit, now: now, after: after)).value.get()
            ahead = nil
            guard batch.count > 0 else { return }
            after = batch.lastSeq ?? after
            if quiet {
                ahead = (readAhead(limit: batchSize, now: now, after: after), batchSize)
            }
            let start = ContinuousClock.now
            let result = try await apply(
                batch, settings: settings, retry: retry, now: now(), minimum: minimum,
                pressure: pressure)
            afterBatch(result, ContinuousClock.now - start)
            if result.yielded {
                // The events after the yield point are still due: start again from the oldest.
                ahead?.task.cancel()
                ahead = nil
                after = -1
            } else if batch.count < limit {
                return
            }
        }
    }

    private func readAhead(
        limit: Int, now: @escaping @Sendable () -> Int64,
        after seq: Int64
    ) -> Task<Result<DueBatch, StoreError>, Never> {
        Task {
            do throws(StoreError) { return .success(try await readDue(limit: limit, now: now(), after: seq)) } catch {
                return .failure(error)
            }
        }
    }
}
