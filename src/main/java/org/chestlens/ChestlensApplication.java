package org.chestlens;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class ChestlensApplication {

    public static void main(String[] args) {
        SpringApplication.run(ChestlensApplication.class, args);
    }
}
