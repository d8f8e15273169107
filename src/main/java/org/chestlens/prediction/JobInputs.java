package org.chestlens.prediction;

/**
 * Where the pre-processed input of a new job is kept until the job is scored. Writing it (224 x 224 float32,
 * 200 704 bytes) is the largest part of an upload's database work, and it is read back only when the replica
 * that took the upload is gone before scoring it.
 */
public enum JobInputs {

    /** Committed with the job: whoever scores it, after whatever crash, finds the input in the database. */
    STORED,

    /**
     * Kept in the accepting replica's memory while the client waits for the result, and written to the
     * database only when the job is not scored by the time the client is answered (a 202 at the deadline, a
     * failed attempt to retry, a batcher stopping). An upload whose replica dies before answering has answered
     * nothing: its job is marked failed when it is recovered, and sending the image again scores it.
     */
    HELD_WHILE_CLIENT_WAITS
}
