/**
 * The model against reference labels: label uploads, per-sub-task metrics, and the error-analysis tree whose
 * leaves give each new prediction its reliability (through prediction's ReliabilityProvider).
 */
@org.springframework.modulith.ApplicationModule(allowedDependencies = { "prediction", "platform", "platform :: security" })
package org.chestlens.evaluation;
