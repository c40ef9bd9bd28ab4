// libxlsxwriter (Debian: libxlsxwriter-dev), linked as a system library.
#include <xlsxwriter.h>
