/// When a checkpoint is due (Ray's `Trial.should_checkpoint` with `CheckpointConfig`'s
/// `checkpoint_frequency` and `checkpoint_at_end`), and attaching one saved after its result.
extension ExperimentConfig {
    /// Whether a result recorded with this `training_iteration` and answered `decision` calls for
    /// a checkpoint, as Ray decides: at the end of the trial (a `.stop` answer, which Ray marks
    /// `done`) with ``checkpointAtEnd``, or at every multiple of ``checkpointFrequency``; and, as
    /// Ray's pause saves one, when the trial is paused (it resumes from it). A front end may
    /// also save one the user forced (Ray's `should_checkpoint` result key).
    public func checkpointDue(trainingIteration: Double, decision: SchedulerDecision) -> Bool {
        if decision == .pause { return true }
        if decision == .stop && checkpointAtEnd { return true }
        guard checkpointFrequency > 0, trainingIteration.isFinite, trainingIteration >= 0,
              trainingIteration < 9.0e15 else { return false }
        let iteration = Int64(trainingIteration)
        return Double(iteration) == trainingIteration && iteration % Int64(checkpointFrequency) == 0
    }
}

extension ExperimentCore {
    /// Makes `checkpoint` (the front end's name for a checkpoint saved after the trial's latest
    /// result, for example by a class trainable whose report answered
    /// ``ReportAnswer/shouldCheckpoint``) the trial's latest checkpoint, covering every result
    /// recorded so far. The trial must be RUNNING (its run may already have been answered
    /// `.stop` or `.pause`).
    /// - Throws: ``ExperimentError/unknownTrial(_:)`` or ``ExperimentError/trialNotRunning(_:_:)``.
    public mutating func attachCheckpoint(_ id: String, _ checkpoint: String) throws(ExperimentError) {
        let i = try runningIndex(id)
        // A run an exploit ended resumes from the clone's checkpoint, not from one of its own.
        if table[i].exploited { return }
        table[i].checkpointed(checkpoint)
        if table[i].keepPending { try keep(i, table[i].latestKept) }
    }
}
