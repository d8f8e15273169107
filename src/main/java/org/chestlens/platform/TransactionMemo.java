package org.chestlens.platform;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Values read once per database transaction. The result writer stores a batch of predictions in one transaction,
 * and each prediction needs its model version's active operating points and calibration and whether any webhook
 * subscription wants the event: read once, they are the same for the whole batch (also when another transaction
 * changes them meanwhile, which makes the batch consistent rather than stale). Kept in a synchronization of the
 * transaction, so a transaction suspended for a new one keeps its values and the new one starts without; outside
 * a transaction every call reads.
 */
public final class TransactionMemo implements TransactionSynchronization {

    private final Map<Object, Object> values = new HashMap<>();

    private TransactionMemo() {
    }

    /**
     * @param key  what is read, with every parameter of the read (a record of them)
     * @param read the read, done at most once per transaction for equal keys
     */
    @SuppressWarnings("unchecked")
    public static <T> T get(Object key, Supplier<T> read) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            return read.get();
        }
        TransactionMemo memo = null;
        for (TransactionSynchronization synchronization : TransactionSynchronizationManager.getSynchronizations()) {
            if (synchronization instanceof TransactionMemo registered) {
                memo = registered;
                break;
            }
        }
        if (memo == null) {
            memo = new TransactionMemo();
            TransactionSynchronizationManager.registerSynchronization(memo);
        }
        if (memo.values.containsKey(key)) {
            return (T) memo.values.get(key);
        }
        T value = read.get();
        memo.values.put(key, value);
        return value;
    }
}
