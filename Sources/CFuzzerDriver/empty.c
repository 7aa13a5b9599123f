// CFuzzerDriver only declares libFuzzer's driver entry (see include/CFuzzerDriver.h).
