// The one translation unit that compiles Asio's SSL layer
// (BOOST_ASIO_SEPARATE_COMPILATION), next to runtime/asio_impl.cpp.
#include <boost/asio/ssl/impl/src.hpp>
