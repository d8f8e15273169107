package org.chestlens;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.chestlens.platform.security.WebSliceSecurity;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.core.annotation.AliasFor;
import org.springframework.test.context.ContextConfiguration;

/**
 * A web slice: the named controllers, Spring MVC, the problem+json advice and the service's own
 * security filter chain and endpoint policy, trusting {@link TestSecurity}'s tokens. No database, no
 * model: the controllers' services are replaced with {@code @MockitoBean}s in the test class.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@WebMvcTest
@Import(WebSliceSecurity.class)
@ContextConfiguration(initializers = TestSecurity.Initializer.class)
public @interface WebSliceTest {

    /** The controllers under test. */
    @AliasFor(annotation = WebMvcTest.class, attribute = "controllers")
    Class<?>[] value();
}
