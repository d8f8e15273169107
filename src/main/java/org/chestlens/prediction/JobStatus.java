package org.chestlens.prediction;

/** Where an image's scoring by one model version stands. */
public enum JobStatus { QUEUED, RUNNING, DONE, FAILED }
