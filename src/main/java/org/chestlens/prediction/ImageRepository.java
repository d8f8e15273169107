package org.chestlens.prediction;

import java.util.Optional;
import java.util.UUID;

import org.springframework.data.jpa.repository.JpaRepository;

interface ImageRepository extends JpaRepository<ImageEntity, UUID> {

    Optional<ImageEntity> findBySha256(String sha256);
}
