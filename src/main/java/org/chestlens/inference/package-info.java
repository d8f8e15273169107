/**
 * The model: loading and verifying model packages, the DJL/PyTorch runtime, micro-batched forwards on the
 * device and the results they write. The only module that touches DJL.
 */
@org.springframework.modulith.ApplicationModule(allowedDependencies = { "prediction", "platform", "platform :: security" })
package org.chestlens.inference;
