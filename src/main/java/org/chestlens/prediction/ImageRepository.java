package org.chestlens.prediction;

import java.util.UUID;

import org.springframework.data.jpa.repository.JpaRepository;

interface ImageRepository extends JpaRepository<ImageEntity, UUID> {
}
