/**
 * What every feature module shares and none owns: problem+json answers ({@link org.chestlens.platform.ApiProblem}),
 * keyset cursors, the OpenAPI set-up, the development database. It depends on no feature module.
 * <p>
 * Its {@code security} sub-package is a named interface: the roles and the annotations with which the feature
 * modules declare who may call an endpoint and what the audit trail records.
 */
@org.springframework.modulith.ApplicationModule(allowedDependencies = {})
package org.chestlens.platform;
