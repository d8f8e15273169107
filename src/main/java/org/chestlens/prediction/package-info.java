/**
 * Images, scoring jobs and predictions in PostgreSQL: the durable job queue, the stored results and their
 * REST read side. Other modules reach its tables only through its public types.
 */
@org.springframework.modulith.ApplicationModule(allowedDependencies = { "platform", "platform :: security" })
package org.chestlens.prediction;
